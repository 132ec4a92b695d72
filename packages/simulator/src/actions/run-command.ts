/**
 * RunCommand, DescribeInvocations and DescribeInvocationResults: minimal but real, enough for a
 * demo to show a command failing on an instance whose agent is not up in time (the delivery
 * window, see invocations.ts).
 *
 * RunCommand validation (ecs-fidelity §3, Docs2024): no `InstanceId.N` → 400
 * `MissingParam.InstanceId`; an unknown `Type` → 403 `InvalidCmdType.NotFound`; more than 100
 * instances → 403 `InstanceIds.ExceedLimit`; an unknown instance → 404 `InvalidInstance.NotFound`
 * for the whole request. `ContentEncoding` is case-insensitive and anything but Base64 means
 * PlainText, with no error.
 */
import { formatAcsDate } from '@cloud-assistant-gate/core/signing';
import { apiErrors } from '../errors.js';
import type { SimInstance } from '../fleet.js';
import {
  aggregateStatus,
  type InstanceRun,
  type InvocationRecord,
  legacyInvokeStatus,
  recordStatus,
  viewRun,
} from '../invocations.js';
import { type ActionHandler, intParam, listParam, requireRegion } from './context.js';

const COMMAND_TYPES = new Set(['RunShellScript', 'RunBatScript', 'RunPowerShellScript']);
const MAX_INSTANCES = 100;

/** A simulated time as the API reports it, `shiftMs` added (see the `reportTimes` option); '' for NaN. */
export const iso = (ms: number, shiftMs: number) =>
  Number.isNaN(ms) ? '' : formatAcsDate(new Date(ms + shiftMs));

/** `ContentEncoding` of the Describe* calls: Base64 (the default) unless PlainText, any case. */
export function encodeText(text: string, encoding: string | undefined): string {
  return encoding !== undefined && encoding.toLowerCase() === 'plaintext'
    ? text
    : Buffer.from(text, 'utf8').toString('base64');
}

export function paging(p: Readonly<Record<string, string>>): { pageNumber: number; pageSize: number } {
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
  if (!COMMAND_TYPES.has(type)) throw apiErrors.invalidCmdType();
  const raw = p.CommandContent;
  if (!raw) throw apiErrors.missingParameter('CommandContent');
  // Documented: case-insensitive, and an unknown value falls back to PlainText.
  const base64 = (p.ContentEncoding ?? '').toLowerCase() === 'base64';
  const content = base64 ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const ids = listParam(p, 'InstanceId').filter((id) => id !== '');
  if (ids.length === 0) throw apiErrors.missingInstanceId();
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
  const v = viewRun(run, t);
  const success = v.status === 'Success';
  return {
    view: v,
    fields: {
      InstanceId: run.instanceId,
      InvocationStatus: v.status,
      ExitCode: success ? run.exitCode : null,
      ErrorCode: v.errorCode,
      ErrorInfo: v.errorInfo,
      Output: encodeText(success ? run.output : '', encoding),
      Dropped: 0,
      StartTime: iso(v.deliveredAt, shiftMs),
      Repeats: Number.isNaN(v.deliveredAt) ? 0 : 1,
      CommandId: record.commandId,
      InvokeId: record.invokeId,
    },
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
  if (p.InvokeStatus) list = list.filter((r) => legacyInvokeStatus(r.runs, t) === p.InvokeStatus);
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
        InvocationStatus: aggregateStatus(r.runs, t),
        InvokeStatus: legacyInvokeStatus(r.runs, t),
        CreationTime: iso(r.createdAt, ctx.timeShiftMs),
        Timed: false,
        RepeatMode: 'Once',
        Frequency: '',
        Parameters: '{}',
        Username: '',
        InvokeInstances: {
          InvokeInstance: r.runs.map((run) => {
            const { view, fields } = runFields(r, run, t, p.ContentEncoding, ctx.timeShiftMs);
            const { CommandId: _c, InvokeId: _i, Output, ...f } = fields;
            return {
              ...f,
              Output: includeOutput ? Output : '',
              InstanceInvokeStatus: recordStatus(view.status),
              CreationTime: iso(r.createdAt, ctx.timeShiftMs),
              UpdateTime: iso(Number.isNaN(view.endedAt) ? t : view.endedAt, ctx.timeShiftMs),
              FinishTime: view.status === 'Success' ? iso(view.endedAt, ctx.timeShiftMs) : '',
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
      const { view, fields } = runFields(r, run, t, p.ContentEncoding, ctx.timeShiftMs);
      const invokeRecordStatus = recordStatus(view.status);
      if (p.InvokeRecordStatus && p.InvokeRecordStatus !== invokeRecordStatus) continue;
      results.push({
        ...fields,
        InvokeRecordStatus: invokeRecordStatus,
        FinishedTime: view.status === 'Success' ? iso(view.endedAt, ctx.timeShiftMs) : '',
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
