/**
 * SendFile and DescribeSendFileResults.
 *
 * Sources: Docs2021 `SendFile.md` (parameters, limits, the error table, statuses 403), the TS-SDK
 * `sendFile`/`describeSendFileResults` docstrings and models (`SendFileRequest`,
 * `DescribeSendFileResultsResponseBody`), the DescribeSendFileResults API page (paging, statuses),
 * ecs-fidelity §5.
 *
 * SendFile
 * - Required: `RegionId`, `Name` (≤ 255 characters, else `FileName.ExceedLimit`), `TargetDir`
 *   (≤ 255, an absolute path `/…` or `C:\…`, else `FileTargetDir.Invalid`: the path rule is
 *   UNVERIFIED), `Content` (≤ 32 KB after Base64, else `FileSize.ExceedLimit`), `InstanceId.N`
 *   (1–50, else `InstanceIds.ExceedLimit`; none → 400 `MissingParam.InstanceId`, UNVERIFIED here).
 * - `ContentType` `PlainText` (default) or `Base64`, any case (else `FileContentType.Invalid`);
 *   Base64 content that does not decode → `FileContent.DecodeError`. `Description` ≤ 512
 *   (`FileDesc.ExceedLimit`). `FileMode` chmod-style octal, 3 or 4 digits (`FileMode.Invalid`).
 *   `FileOwner`/`FileGroup` ≤ 64 (`InvalidParameter.*`, UNVERIFIED). `Overwrite` Boolean.
 *   `Timeout` seconds, default 60; below 10 it becomes 10, as documented.
 * - An unknown instance fails the whole request with 404 `InvalidInstance.NotFound` (as RunCommand;
 *   UNVERIFIED here). Returns `{ RequestId, InvokeId: "f-…" }`.
 * - Per instance, the file waits for the agent like a command (the delivery window), then takes
 *   `fileTransferMs`; agents older than Linux 1.0.2.569 / Windows 1.0.0.149 fail with
 *   `ClientNeedUpgrade` (documented).
 *
 * DescribeSendFileResults
 * - `RegionId` required; filters `InvokeId`, `InstanceId`, `Name`, `InvocationStatus` (overall);
 *   paging by `PageNumber`/`PageSize` (1–50) with `TotalCount`, or `MaxResults` (1–50)/`NextToken`
 *   (wins, no `TotalCount`), newest first. Each invocation: `InvokeId`, `Name`, `Description`,
 *   `Content`, `ContentType`, `TargetDir`, `FileMode`, `FileOwner`, `FileGroup`, `Overwrite`
 *   ("true"/"false"), `CreationTime`, `InvocationStatus`, `VmCount`, `Tags`, and
 *   `InvokeInstances.InvokeInstance[{ InstanceId, InvocationStatus, CreationTime, StartTime,
 *   FinishTime, UpdateTime, ErrorCode, ErrorInfo }]`.
 */
import { apiErrors } from '../errors.js';
import type { SimInstance } from '../fleet/instance.js';
import { aggregateStatus, type FileRecord, viewRun } from '../invocations.js';
import { type ActionHandler, intParam, listParam, requireRegion } from './context.js';
import { boolParam } from './instances.js';
import { iso, paging } from './run-command.js';

const MAX_INSTANCES = 50;
const MAX_BASE64_BYTES = 32 * 1024;
const MAX_NAME = 255;
const MAX_TARGET_DIR = 255;
const MAX_DESCRIPTION = 512;
const MAX_OWNER = 64;
const MIN_TIMEOUT_SEC = 10;
const DEFAULT_TIMEOUT_SEC = 60;
const MAX_RESULTS = 50;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Base64 length of `n` bytes. */
const base64Length = (n: number) => Math.ceil(n / 3) * 4;

function validTargetDir(dir: string): boolean {
  if (dir.length > MAX_TARGET_DIR) return false;
  for (let i = 0; i < dir.length; i++) if (dir.charCodeAt(i) < 0x20) return false;
  return dir.startsWith('/') || /^[A-Za-z]:[\\/]/.test(dir);
}

export const sendFile: ActionHandler = (p, ctx) => {
  const region = requireRegion(p, ctx);
  const name = p.Name;
  if (!name) throw apiErrors.missingParameter('Name');
  if (name.length > MAX_NAME) throw apiErrors.fileNameExceedLimit();
  const targetDir = p.TargetDir;
  if (!targetDir) throw apiErrors.missingParameter('TargetDir');
  if (!validTargetDir(targetDir)) throw apiErrors.fileTargetDirInvalid();
  const content = p.Content;
  if (content === undefined || content === '') throw apiErrors.missingParameter('Content');
  const typeParam = (p.ContentType || 'PlainText').toLowerCase();
  if (typeParam !== 'plaintext' && typeParam !== 'base64') throw apiErrors.fileContentTypeInvalid();
  const contentType = typeParam === 'base64' ? 'Base64' : 'PlainText';
  if (contentType === 'Base64' && !BASE64.test(content)) throw apiErrors.fileContentDecodeError();
  const encodedSize =
    contentType === 'Base64' ? content.length : base64Length(Buffer.byteLength(content, 'utf8'));
  if (encodedSize > MAX_BASE64_BYTES) throw apiErrors.fileSizeExceedLimit();
  const description = p.Description ?? '';
  if (description.length > MAX_DESCRIPTION) throw apiErrors.fileDescExceedLimit();
  const fileMode = p.FileMode || '0644';
  if (!/^[0-7]{3,4}$/.test(fileMode)) throw apiErrors.fileModeInvalid();
  const fileOwner = p.FileOwner || 'root';
  const fileGroup = p.FileGroup || 'root';
  if (fileOwner.length > MAX_OWNER)
    throw apiErrors.invalidParameter('FileOwner', 'The value cannot exceed 64 characters.');
  if (fileGroup.length > MAX_OWNER)
    throw apiErrors.invalidParameter('FileGroup', 'The value cannot exceed 64 characters.');
  const overwrite = boolParam(p, 'Overwrite');
  const timeout = intParam(p.Timeout || undefined) ?? DEFAULT_TIMEOUT_SEC;
  if (Number.isNaN(timeout)) throw apiErrors.invalidParameter('Timeout', 'It must be a number of seconds.');
  const ids = [...new Set(listParam(p, 'InstanceId').filter((id) => id !== ''))];
  if (ids.length === 0) throw apiErrors.missingInstanceId();
  if (ids.length > MAX_INSTANCES) throw apiErrors.instanceIdsExceedLimit();
  const t = ctx.clock.now();
  const instances: SimInstance[] = ids.map((id) => {
    const inst = region.byId.get(id);
    if (inst === undefined || !inst.visible(t)) throw apiErrors.instanceNotFound();
    return inst;
  });
  const record = ctx.invocations.sendFile({
    region: region.name,
    name,
    description,
    content,
    contentType,
    targetDir,
    fileMode,
    fileOwner,
    fileGroup,
    overwrite,
    timeoutSec: Math.max(MIN_TIMEOUT_SEC, timeout),
    instances,
    t,
  });
  return JSON.stringify({ RequestId: ctx.requestId, InvokeId: record.invokeId });
};

function encodeToken(index: number): string {
  return Buffer.from(`sf:${index}`).toString('base64url');
}

function decodeToken(token: string): number {
  const m = /^sf:(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (m === null) throw apiErrors.invalidNextToken();
  return Number(m[1]);
}

export const describeSendFileResults: ActionHandler = (p, ctx) => {
  const region = requireRegion(p, ctx);
  const t = ctx.clock.now();
  const shift = ctx.timeShiftMs;
  const byToken = Boolean(p.MaxResults) || Boolean(p.NextToken);
  let list: FileRecord[] = ctx.invocations.files.filter((r) => r.region === region.name);
  if (p.InvokeId) list = list.filter((r) => r.invokeId === p.InvokeId);
  if (p.Name) list = list.filter((r) => r.name === p.Name);
  if (p.InstanceId) list = list.filter((r) => r.runs.some((run) => run.instanceId === p.InstanceId));
  if (p.InvocationStatus) list = list.filter((r) => aggregateStatus(r.runs, t) === p.InvocationStatus);
  list = list.slice().reverse(); // newest first

  let page: FileRecord[];
  let head: Record<string, unknown>;
  if (byToken) {
    const max = intParam(p.MaxResults || undefined) ?? 10;
    if (!(max >= 1 && max <= MAX_RESULTS)) throw apiErrors.invalidMaxResults();
    const from = p.NextToken ? decodeToken(p.NextToken) : 0;
    page = list.slice(from, from + max);
    head = from + max < list.length ? { NextToken: encodeToken(from + max) } : {};
  } else {
    const { pageNumber, pageSize } = paging(p);
    page = list.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    head = { TotalCount: list.length, PageNumber: pageNumber, PageSize: pageSize };
  }
  return JSON.stringify({
    RequestId: ctx.requestId,
    ...head,
    Invocations: {
      Invocation: page.map((r) => ({
        InvokeId: r.invokeId,
        Name: r.name,
        Description: r.description,
        Content: r.content,
        ContentType: r.contentType,
        TargetDir: r.targetDir,
        FileMode: r.fileMode,
        FileOwner: r.fileOwner,
        FileGroup: r.fileGroup,
        Overwrite: String(r.overwrite),
        CreationTime: iso(r.createdAt, shift),
        InvocationStatus: aggregateStatus(r.runs, t),
        VmCount: r.runs.length,
        Tags: { Tag: [] },
        InvokeInstances: {
          InvokeInstance: r.runs.map((run) => {
            const v = viewRun(run, t);
            return {
              InstanceId: run.instanceId,
              InvocationStatus: v.status,
              CreationTime: iso(r.createdAt, shift),
              StartTime: iso(v.deliveredAt, shift),
              FinishTime: v.status === 'Success' ? iso(v.endedAt, shift) : '',
              UpdateTime: iso(Number.isNaN(v.endedAt) ? t : v.endedAt, shift),
              ErrorCode: v.errorCode,
              ErrorInfo: v.errorInfo,
            };
          }),
        },
      })),
    },
  });
};
