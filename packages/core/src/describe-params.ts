/**
 * The parameters of a call, checked and encoded: DescribeCloudAssistantStatus's (V1's params
 * object, and V3's canonical query written directly, the hot path of a wait) and any RPC call's
 * (`flattenParams`).
 */
import type { DescribeCloudAssistantStatusRequest, RpcParams } from './client-types.js';
import { OptionRangeError } from './option-errors.js';
import { checkInteger, checkString, wrongType } from './options.js';
import { percentEncode } from './sign.js';

/** The most instance IDs one DescribeCloudAssistantStatus call takes. */
export const MAX_IDS_PER_CALL = 100;

/**
 * `InstanceId.1=` … `InstanceId.100=` in the order `canonicalQueryString` sorts them (by UTF-16
 * code unit: 1, 10, 100, 11, …, 19, 2, 20, …), each with its index. The order of the first N of
 * them is this order with the indices above N left out, so one table serves every batch size.
 */
const SORTED_ID_KEYS: readonly (readonly [index: number, prefix: string])[] = Array.from(
  { length: MAX_IDS_PER_CALL },
  (_, i) => `InstanceId.${i + 1}`,
)
  .sort()
  .map((key) => [Number(key.slice('InstanceId.'.length)) - 1, `${key}=`] as const);

/** A page size or number: a whole number ≥ 1. */
export function positiveInteger(option: string, value: unknown): number {
  return checkInteger(option, value, { min: 1 });
}

/** `instanceIds` checked: an array of at most 100 non-empty strings. */
function checkIds(ids: unknown): readonly string[] {
  if (!Array.isArray(ids)) throw wrongType('instanceIds', 'an array of strings', ids);
  if (ids.length > MAX_IDS_PER_CALL) {
    throw new OptionRangeError(
      'instanceIds',
      (name) =>
        `Expected at most ${MAX_IDS_PER_CALL} ${name('instanceIds')} per DescribeCloudAssistantStatus call, got ${ids.length}; split them into batches.`,
    );
  }
  for (let i = 0; i < ids.length; i++) checkString(`instanceIds[${i}]`, ids[i], { nonEmpty: true });
  return ids as readonly string[];
}

/** The parameters of one DescribeCloudAssistantStatus call (checked), as V1 signs them. */
export function describeParams(
  region: string,
  req: DescribeCloudAssistantStatusRequest,
): Record<string, string> {
  const params: Record<string, string> = { RegionId: region };
  if (req.instanceIds !== undefined) {
    const ids = checkIds(req.instanceIds);
    for (let i = 0; i < ids.length; i++) params[`InstanceId.${i + 1}`] = ids[i]!;
  }
  if (req.osType !== undefined) params.OSType = String(req.osType);
  if (req.maxResults !== undefined) params.MaxResults = String(positiveInteger('maxResults', req.maxResults));
  if (req.nextToken !== undefined) params.NextToken = String(req.nextToken);
  if (req.pageNumber !== undefined) params.PageNumber = String(positiveInteger('pageNumber', req.pageNumber));
  if (req.pageSize !== undefined) params.PageSize = String(positiveInteger('pageSize', req.pageSize));
  return params;
}

/**
 * `canonicalQueryString(describeParams(region, req))`, written directly (V3's hot path), given
 * `regionParam` = `RegionId=<encoded region>`: the `InstanceId.N` keys in their precomputed sorted
 * order, then the other parameters, whose names all sort after `InstanceId.*` and in the order
 * written here. Building a 101-key params object (dictionary mode in V8), listing and sorting its
 * keys cost more than the rest of signing.
 */
export function describeQuery(regionParam: string, req: DescribeCloudAssistantStatusRequest): string {
  let q = '';
  if (req.instanceIds !== undefined) {
    const ids = checkIds(req.instanceIds);
    const n = ids.length;
    for (let k = 0; k < SORTED_ID_KEYS.length; k++) {
      const [index, prefix] = SORTED_ID_KEYS[k]!;
      if (index >= n) continue;
      q += q === '' ? prefix : `&${prefix}`;
      q += percentEncode(ids[index]!);
    }
    if (q !== '') q += '&';
  }
  if (req.maxResults !== undefined)
    q += `MaxResults=${percentEncode(String(positiveInteger('maxResults', req.maxResults)))}&`;
  if (req.nextToken !== undefined) q += `NextToken=${percentEncode(String(req.nextToken))}&`;
  if (req.osType !== undefined) q += `OSType=${percentEncode(String(req.osType))}&`;
  if (req.pageNumber !== undefined)
    q += `PageNumber=${percentEncode(String(positiveInteger('pageNumber', req.pageNumber)))}&`;
  if (req.pageSize !== undefined)
    q += `PageSize=${percentEncode(String(positiveInteger('pageSize', req.pageSize)))}&`;
  return q + regionParam;
}

/** Flattens RPC parameters to strings; arrays become `Key.1..N`. */
export function flattenParams(params: RpcParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) out[`${key}.${i + 1}`] = String(value[i]);
    } else {
      out[key] = String(value);
    }
  }
  return out;
}
