/**
 * RunCommand, DescribeInvocations and DescribeInvocationResults: minimal but real, enough for a
 * demo to show a command failing on an instance whose agent is not up yet (see invocations.ts).
 */
import { formatAcsDate } from '@cloud-assistant-gate/core';
import { apiErrors } from '../errors.js';
import type { SimInstance } from '../fleet.js';
import {
  aggregateStatus,
  type InstanceRun,
  type InvocationRecord,
  legacyInvokeStatus,
  NOT_RUNNING,
  runStatus,
} from '../invocations.js';
import { type ActionHandler, intParam, listParam, requireRegion } from './context.js';

const COMMAND_TYPES = new Set(['RunShellScript', 'RunBatScript', 'RunPowerShellScript']);
const MAX_INSTANCES = 100;

/** A simulated time as the API reports it, `shiftMs` added (see the `reportTimes` option). */
const iso = (ms: number, shiftMs: number) => formatAcsDate(new Date(ms + shiftMs));

function encodeText(text: string, encoding: string | undefined): string {
  return encoding === 'PlainText' ? text : Buffer.from(text, 'utf8').toString('base64');
}

function paging(p: Readonly<Record<string, string>>): { pageNumber: number; pageSize: number } {
  const pageSize = intParam(p.PageSize) ?? 10;
  if (!(pageSize >= 1 && pageSize <= 50)) throw apiErrors.invalidPageSize();
  const pageNumber = intParam(p.PageNumber) ?? 1;
  if (!(pageNumber >= 1)) throw apiErrors.invalidPageNumber();
  return { pageNumber, pageSize };
}

export const runCommand: ActionHandler = (p, ctx) => {
  const region = requireRegion(p, ctx);
  const type = p.Type;
  if (!type) throw apiErrors.missingParameter('Type');
  if (!COMMAND_TYPES.has(type))
    throw apiErrors.invalidParameter('Type', `Valid values: ${[...COMMAND_TYPES].join(', ')}.`);
  const raw = p.CommandContent;
  if (!raw) throw apiErrors.missingParameter('CommandContent');
  const encoding = p.ContentEncoding ?? 'PlainText';
  if (encoding !== 'PlainText' && encoding !== 'Base64') {
    throw apiErrors.invalidParameter('ContentEncoding', 'Valid values: PlainText, Base64.');
  }
  const content = encoding === 'Base64' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const ids = listParam(p, 'InstanceId');
  if (ids.length === 0) throw apiErrors.missingParameter('InstanceId');
  if (ids.length > MAX_INSTANCES) throw apiErrors.instanceIdsExceedLimit();
  const t = ctx.clock.now();
  const instances: SimInstance[] = [];
  for (const id of new Set(ids)) {
    const inst = region.byId.get(id);
    // RunCommand documents 404 InvalidInstance.NotFound for the whole request (facts §7).
    if (inst === undefined || !inst.visible(t)) throw apiErrors.instanceNotFound();
    instances.push(inst);
  }
  const record = ctx.invocations.run({
    region: region.name,
    name: p.Name ?? '',
    type,
    content,
    instances,
    t,
  });
  return JSON.stringify({ RequestId: ctx.requestId, CommandId: record.commandId, InvokeId: record.invokeId });
};

function runFields(
  record: InvocationRecord,
  run: InstanceRun,
  t: number,
  encoding: string | undefined,
  shiftMs: number,
) {
  const status = runStatus(run, t);
  const finished = status !== 'Running';
  return {
    InstanceId: run.instanceId,
    InvocationStatus: status,
    ExitCode: finished && run.delivered ? run.exitCode : null,
    ErrorCode: run.delivered ? '' : NOT_RUNNING.errorCode,
    ErrorInfo: run.delivered ? '' : NOT_RUNNING.errorInfo,
    Output: encodeText(finished ? run.output : '', encoding),
    Dropped: 0,
    StartTime: run.delivered ? iso(run.startAt, shiftMs) : '',
    Repeats: 1,
    CommandId: record.commandId,
    InvokeId: record.invokeId,
    finished,
  };
}

export const describeInvocations: ActionHandler = (p, ctx) => {
  const region = requireRegion(p, ctx);
  const { pageNumber, pageSize } = paging(p);
  const t = ctx.clock.now();
  let list = ctx.invocations.records.filter((r) => r.region === region.name);
  if (p.InvokeId) list = list.filter((r) => r.invokeId === p.InvokeId);
  if (p.CommandId) list = list.filter((r) => r.commandId === p.CommandId);
  if (p.InstanceId) list = list.filter((r) => r.runs.some((run) => run.instanceId === p.InstanceId));
  if (p.InvokeStatus) list = list.filter((r) => legacyInvokeStatus(r, t) === p.InvokeStatus);
  list = list.slice().reverse(); // newest first
  const page = list.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
  const includeOutput = p.IncludeOutput === 'true';
  return JSON.stringify({
    RequestId: ctx.requestId,
    TotalCount: list.length,
    PageNumber: pageNumber,
    PageSize: pageSize,
    Invocations: {
      Invocation: page.map((r) => ({
        InvokeId: r.invokeId,
        CommandId: r.commandId,
        CommandName: r.name,
        CommandType: r.type,
        CommandContent: encodeText(r.content, p.ContentEncoding),
        InvocationStatus: aggregateStatus(r, t),
        InvokeStatus: legacyInvokeStatus(r, t),
        CreationTime: iso(r.createdAt, ctx.timeShiftMs),
        Timed: false,
        RepeatMode: 'Once',
        Frequency: '',
        Parameters: '{}',
        Username: '',
        InvokeInstances: {
          InvokeInstance: r.runs.map((run) => {
            const {
              finished,
              CommandId: _c,
              InvokeId: _i,
              Output,
              ...f
            } = runFields(r, run, t, p.ContentEncoding, ctx.timeShiftMs);
            return {
              ...f,
              Output: includeOutput ? Output : '',
              InstanceInvokeStatus:
                f.InvocationStatus === 'Running' ? 'Running' : run.delivered ? 'Finished' : 'Failed',
              CreationTime: iso(r.createdAt, ctx.timeShiftMs),
              UpdateTime: iso(finished ? run.finishAt : t, ctx.timeShiftMs),
              FinishTime: finished && run.delivered ? iso(run.finishAt, ctx.timeShiftMs) : '',
              Timed: false,
            };
          }),
        },
      })),
    },
  });
};

export const describeInvocationResults: ActionHandler = (p, ctx) => {
  const region = requireRegion(p, ctx);
  const { pageNumber, pageSize } = paging(p);
  const t = ctx.clock.now();
  let records = ctx.invocations.records.filter((r) => r.region === region.name);
  if (p.InvokeId) records = records.filter((r) => r.invokeId === p.InvokeId);
  if (p.CommandId) records = records.filter((r) => r.commandId === p.CommandId);
  const results = [];
  for (const r of records.slice().reverse()) {
    for (const run of r.runs) {
      if (p.InstanceId && run.instanceId !== p.InstanceId) continue;
      const { finished, ...f } = runFields(r, run, t, p.ContentEncoding, ctx.timeShiftMs);
      const recordStatus = finished ? 'Finished' : 'Running';
      if (p.InvokeRecordStatus && p.InvokeRecordStatus !== recordStatus) continue;
      results.push({
        ...f,
        InvokeRecordStatus: recordStatus,
        FinishedTime: finished && run.delivered ? iso(run.finishAt, ctx.timeShiftMs) : '',
        StopTime: '',
        Username: '',
        ContainerId: '',
        ContainerName: '',
      });
    }
  }
  return JSON.stringify({
    RequestId: ctx.requestId,
    Invocation: {
      TotalCount: results.length,
      PageNumber: pageNumber,
      PageSize: pageSize,
      InvocationResults: {
        InvocationResult: results.slice((pageNumber - 1) * pageSize, pageNumber * pageSize),
      },
    },
  });
};
