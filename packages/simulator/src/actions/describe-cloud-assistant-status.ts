/**
 * DescribeCloudAssistantStatus, as the API page and facts §3 describe it.
 *
 * - `RegionId` is required; an unknown region → 400 `RegionId.ApiNotSupported`.
 * - More than 100 `InstanceId.N` → 403 `InstanceIds.ExceedLimit`.
 * - With IDs: paging parameters are ignored (Terraform sends PageSize=100 with IDs, so they are
 *   not validated either); unknown IDs fail the whole request (404 `InvalidInstance.NotFound`) or
 *   are left out, per `notFoundMode`. Duplicate IDs are answered once (UNVERIFIED).
 * - Without IDs: `PageNumber`/`PageSize` (1–50, default 10) with `TotalCount`, or
 *   `MaxResults`/`NextToken`, which wins when present and has no `TotalCount` (facts §3.1).
 * - Items come in creation order (the real order is UNVERIFIED).
 */
import { apiErrors } from '../errors.js';
import type { SimInstance } from '../fleet/instance.js';
import { type ActionHandler, intParam, listParam, requireRegion } from './context.js';

const MAX_IDS = 100;
const MAX_PAGE_SIZE = 50;
const DEFAULT_PAGE_SIZE = 10;
const EMPTY: readonly SimInstance[] = [];

function encodeToken(index: number): string {
  return Buffer.from(`cas:${index}`).toString('base64url');
}

function decodeToken(token: string): number {
  const m = /^cas:(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (m === null) throw apiErrors.invalidNextToken();
  return Number(m[1]);
}

function set(items: string): string {
  return `"InstanceCloudAssistantStatusSet":{"InstanceCloudAssistantStatus":[${items}]}`;
}

export const describeCloudAssistantStatus: ActionHandler = (p, ctx) => {
  const region = requireRegion(p, ctx);
  const ids = listParam(p, 'InstanceId');
  if (ids.length > MAX_IDS) throw apiErrors.instanceIdsExceedLimit();
  const osType = p.OSType || undefined;
  const t = ctx.clock.now();
  const rid = `"RequestId":"${ctx.requestId}"`;

  if (ids.length > 0) {
    let items = '';
    let n = 0;
    const seen = ids.length > 1 ? new Set<string>() : undefined;
    for (const id of ids) {
      if (id === '') throw apiErrors.missingInstanceId();
      if (seen) {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      const inst = region.byId.get(id);
      if (inst === undefined || !inst.visible(t)) {
        if (ctx.notFoundMode === 'error') throw apiErrors.instanceNotFound();
        continue;
      }
      if (osType !== undefined && inst.osType !== osType) continue;
      if (n > 0) items += ',';
      items += inst.statusJson(t, ctx.timeShiftMs);
      n++;
    }
    return `{${rid},"TotalCount":${n},"PageNumber":1,"PageSize":${n},${set(items)}}`;
  }

  const list = osType === undefined ? region.all : (region.byOs.get(osType) ?? EMPTY);
  const allVisible = region.allVisible(t);

  if (
    (p.MaxResults !== undefined && p.MaxResults !== '') ||
    (p.NextToken !== undefined && p.NextToken !== '')
  ) {
    const max = intParam(p.MaxResults || undefined) ?? DEFAULT_PAGE_SIZE;
    if (!(max >= 1 && max <= MAX_PAGE_SIZE)) throw apiErrors.invalidMaxResults();
    let i = p.NextToken ? decodeToken(p.NextToken) : 0;
    let items = '';
    let n = 0;
    for (; i < list.length && n < max; i++) {
      const inst = list[i]!;
      if (!allVisible && !inst.visible(t)) continue;
      if (n > 0) items += ',';
      items += inst.statusJson(t, ctx.timeShiftMs);
      n++;
    }
    // Only hand out a token when something visible remains.
    let more = false;
    for (let j = i; j < list.length; j++) {
      if (allVisible || list[j]!.visible(t)) {
        more = true;
        break;
      }
    }
    return `{${rid},${more ? `"NextToken":"${encodeToken(i)}",` : ''}${set(items)}}`;
  }

  const pageSize = intParam(p.PageSize) ?? DEFAULT_PAGE_SIZE;
  if (!(pageSize >= 1 && pageSize <= MAX_PAGE_SIZE)) throw apiErrors.invalidPageSize();
  const pageNumber = intParam(p.PageNumber) ?? 1;
  if (!(pageNumber >= 1)) throw apiErrors.invalidPageNumber();
  const visible = allVisible ? list : list.filter((inst) => inst.visible(t));
  const start = (pageNumber - 1) * pageSize;
  const end = Math.min(visible.length, start + pageSize);
  let items = '';
  for (let i = start; i < end; i++) {
    if (i > start) items += ',';
    items += visible[i]!.statusJson(t, ctx.timeShiftMs);
  }
  return `{${rid},"TotalCount":${visible.length},"PageNumber":${pageNumber},"PageSize":${pageSize},${set(items)}}`;
};
