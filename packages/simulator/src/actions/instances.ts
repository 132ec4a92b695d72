/**
 * The instance lifecycle: DescribeInstanceStatus, RebootInstance, RebootInstances.
 *
 * Sources: the API pages (help.aliyun.com / alibabacloud.com `api-ecs-2014-05-26-describeinstancestatus`,
 * `…-rebootinstance`, `…-rebootinstances`), the TS-SDK models and docstrings
 * (`DescribeInstanceStatusRequest`/`ResponseBody`, `RebootInstanceRequest`, `RebootInstancesRequest`/`ResponseBody`),
 * the C# SDK's RebootInstancesResponseBody docstrings, and Docs2021 `RebootInstance.md` (errors).
 *
 * - DescribeInstanceStatus: `RegionId` required; `InstanceId.N` (1–100) filters; `PageNumber`
 *   (≥ 1, default 1) and `PageSize` (1–50, default 10) page the result, with IDs too (as
 *   DescribeInstances does; UNVERIFIED for this action); `ZoneId`/`ClusterId` are accepted and
 *   ignored (no zones are modelled). Unknown IDs are left out (a filter; UNVERIFIED). Managed
 *   instances (`mi-`) are not ECS instances and are never listed. Order: request order with IDs,
 *   creation order without (UNVERIFIED). Response `{ RequestId, TotalCount, PageNumber, PageSize,
 *   InstanceStatuses: { InstanceStatus: [{ InstanceId, Status }] } }`.
 * - RebootInstance: `InstanceId` (one), `ForceStop`, `DryRun`; `RegionId` optional (the SDK's
 *   request has none). Unknown → 404 `InvalidInstanceId.NotFound`; not `Running` → 403
 *   `IncorrectInstanceStatus` (both documented). `ForceStop` is accepted; it does not shorten the
 *   simulated stop.
 * - RebootInstances: `InstanceId.N` (1–100), `BatchOptimization` (`AllTogether`, default: any bad
 *   instance fails the whole request with the RebootInstance codes; `SuccessFirst`: each instance
 *   gets its own result), `ForceReboot`, `DryRun` (`DRYRUN.SUCCESS`). Response `InstanceResponses.InstanceResponse[{
 *   InstanceId, Code ("200" on success), Message ("success"), PreviousStatus, CurrentStatus }]`.
 *   The per-instance failure codes under SuccessFirst and the >100 code are UNVERIFIED.
 */
import { apiErrors } from '../errors.js';
import type { SimInstance } from '../fleet/instance.js';
import { type ActionContext, type ActionHandler, intParam, listParam, requireRegion } from './context.js';

const MAX_IDS = 100;
const MAX_PAGE_SIZE = 50;
const DEFAULT_PAGE_SIZE = 10;

/** A Boolean parameter: `true`/`false` in any case, `false` when absent. */
export function boolParam(p: Readonly<Record<string, string>>, name: string): boolean {
  const v = p[name];
  if (v === undefined || v === '') return false;
  const lower = v.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw apiErrors.invalidParameter(name, 'Valid values: true, false.');
}

/** Instance IDs of an `InstanceId.N` list, empty entries dropped, duplicates answered once. */
function instanceIds(p: Readonly<Record<string, string>>): string[] {
  return [...new Set(listParam(p, 'InstanceId').filter((id) => id !== ''))];
}

/** An ECS instance the API knows now (not a managed instance), or undefined. */
function ecsInstance(inst: SimInstance | undefined, t: number): SimInstance | undefined {
  return inst?.visible(t) && !inst.managed ? inst : undefined;
}

export const describeInstanceStatus: ActionHandler = (p, ctx) => {
  const region = requireRegion(p, ctx);
  const ids = instanceIds(p);
  if (ids.length > MAX_IDS) throw apiErrors.instanceIdsExceedLimit();
  const pageSize = intParam(p.PageSize) ?? DEFAULT_PAGE_SIZE;
  if (!(pageSize >= 1 && pageSize <= MAX_PAGE_SIZE)) throw apiErrors.invalidPageSize();
  const pageNumber = intParam(p.PageNumber) ?? 1;
  if (!(pageNumber >= 1)) throw apiErrors.invalidPageNumber();
  const t = ctx.clock.now();
  const list: SimInstance[] = [];
  if (ids.length > 0) {
    for (const id of ids) {
      const inst = ecsInstance(region.byId.get(id), t);
      if (inst !== undefined) list.push(inst);
    }
  } else {
    for (const inst of region.all) if (ecsInstance(inst, t) !== undefined) list.push(inst);
  }
  const page = list.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
  return JSON.stringify({
    RequestId: ctx.requestId,
    TotalCount: list.length,
    PageNumber: pageNumber,
    PageSize: pageSize,
    InstanceStatuses: {
      InstanceStatus: page.map((inst) => ({ InstanceId: inst.id, Status: inst.statusAt(t) })),
    },
  });
};

/** The instance RebootInstance names: in `RegionId` when given, else in any region. */
function findForReboot(p: Readonly<Record<string, string>>, ctx: ActionContext, id: string, t: number) {
  const inst = p.RegionId ? requireRegion(p, ctx).byId.get(id) : ctx.fleet.find(id);
  return ecsInstance(inst, t);
}

export const rebootInstance: ActionHandler = (p, ctx) => {
  const id = p.InstanceId;
  if (!id) throw apiErrors.missingParameter('InstanceId');
  boolParam(p, 'ForceStop');
  const dryRun = boolParam(p, 'DryRun');
  const t = ctx.clock.now();
  const inst = findForReboot(p, ctx, id, t);
  if (inst === undefined) throw apiErrors.invalidInstanceIdNotFound();
  if (inst.statusAt(t) !== 'Running') throw apiErrors.incorrectInstanceStatus();
  if (dryRun) throw apiErrors.dryRunOperation();
  ctx.fleet.reboot(inst.id);
  return JSON.stringify({ RequestId: ctx.requestId });
};

export const rebootInstances: ActionHandler = (p, ctx) => {
  const region = requireRegion(p, ctx);
  const ids = instanceIds(p);
  if (ids.length === 0) throw apiErrors.missingParameter('InstanceId');
  if (ids.length > MAX_IDS) throw apiErrors.instanceIdsExceedLimit();
  const mode = p.BatchOptimization || 'AllTogether';
  if (mode !== 'AllTogether' && mode !== 'SuccessFirst')
    throw apiErrors.invalidParameter('BatchOptimization', 'Valid values: AllTogether, SuccessFirst.');
  boolParam(p, 'ForceReboot');
  const dryRun = boolParam(p, 'DryRun');
  const t = ctx.clock.now();
  const found = ids.map((id) => ({ id, inst: ecsInstance(region.byId.get(id), t) }));

  if (mode === 'SuccessFirst') {
    if (dryRun) throw apiErrors.dryRunSuccess(); // documented: only DRYRUN.SUCCESS in this mode
    const responses = found.map(({ id, inst }) => {
      if (inst === undefined) {
        const err = apiErrors.invalidInstanceIdNotFound();
        return {
          InstanceId: id,
          Code: err.code,
          Message: err.message,
          PreviousStatus: '',
          CurrentStatus: '',
        };
      }
      const before = inst.statusAt(t);
      if (before !== 'Running') {
        const err = apiErrors.incorrectInstanceStatus();
        return {
          InstanceId: id,
          Code: err.code,
          Message: err.message,
          PreviousStatus: before,
          CurrentStatus: before,
        };
      }
      ctx.fleet.reboot(inst.id);
      return {
        InstanceId: id,
        Code: '200',
        Message: 'success',
        PreviousStatus: before,
        CurrentStatus: inst.statusAt(t),
      };
    });
    return JSON.stringify({ RequestId: ctx.requestId, InstanceResponses: { InstanceResponse: responses } });
  }

  // AllTogether: every instance must qualify, or none is rebooted.
  for (const { inst } of found) if (inst === undefined) throw apiErrors.invalidInstanceIdNotFound();
  for (const { inst } of found)
    if (inst!.statusAt(t) !== 'Running') throw apiErrors.incorrectInstanceStatus();
  if (dryRun) throw apiErrors.dryRunSuccess();
  const responses = found.map(({ id, inst }) => {
    ctx.fleet.reboot(inst!.id);
    return {
      InstanceId: id,
      Code: '200',
      Message: 'success',
      PreviousStatus: 'Running',
      CurrentStatus: inst!.statusAt(t),
    };
  });
  return JSON.stringify({ RequestId: ctx.requestId, InstanceResponses: { InstanceResponse: responses } });
};
