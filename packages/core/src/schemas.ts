/**
 * zod schemas for the responses we read (facts §3.2), and their camelCase results. Objects are
 * parsed in zod's default "strip" mode, which copies only the declared keys into fresh objects:
 * unknown fields are tolerated and dropped, and a `__proto__`/`constructor` key in the JSON can
 * never reach a prototype.
 */
import * as z from 'zod';
import { EcsApiError, ResponseValidationError, serverText } from './errors.js';
import type { InstanceStatus } from './types.js';

/** A JSON number, or a string of digits (some gateways stringify `long`s). */
const long = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);

/** `"true"`/`"false"` on the wire; the 2018 docs spelled `"True"`, and a JSON boolean is accepted too. */
const stringBoolean = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^(true|false)$/i, 'expected "true" or "false"')
    .transform((s) => s.toLowerCase() === 'true'),
]);

export const instanceCloudAssistantStatusSchema = z.object({
  InstanceId: z.string(),
  CloudAssistantStatus: stringBoolean,
  CloudAssistantVersion: z.string().optional(),
  LastHeartbeatTime: z.string().optional(),
  LastInvokedTime: z.string().optional(),
  ActiveTaskCount: long.optional(),
  InvocationCount: long.optional(),
  OSType: z.string().optional(),
  SupportSessionManager: stringBoolean.optional(),
});

export const describeCloudAssistantStatusResponseSchema = z.object({
  RequestId: z.string(),
  TotalCount: long.optional(),
  PageNumber: long.optional(),
  PageSize: long.optional(),
  NextToken: z.string().optional(),
  // Optional: an empty page may leave the set (or its list) out.
  InstanceCloudAssistantStatusSet: z
    .object({ InstanceCloudAssistantStatus: z.array(instanceCloudAssistantStatusSchema).optional() })
    .optional(),
});

export type DescribeCloudAssistantStatusResponse = z.output<
  typeof describeCloudAssistantStatusResponseSchema
>;

/** The camelCase result of one DescribeCloudAssistantStatus call. */
export interface DescribeCloudAssistantStatusResult {
  readonly requestId: string;
  /** Only meaningful with PageNumber/PageSize paging (the API says so). */
  readonly totalCount?: number;
  readonly pageNumber?: number;
  readonly pageSize?: number;
  /** Present while more pages remain (NextToken/MaxResults paging). */
  readonly nextToken?: string;
  readonly instances: InstanceStatus[];
}

/** `a.b[3].c` from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out.length === 0 ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Parses once with zod and throws a {@link ResponseValidationError} naming the first bad field. */
export function parseResponse<T extends z.ZodType>(schema: T, data: unknown, action: string): z.output<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue === undefined ? '' : formatPath(issue.path);
  const problem =
    issue === undefined
      ? 'is invalid'
      : issue.code === 'invalid_type' && issue.message.includes('received undefined')
        ? 'is missing'
        : `is invalid: ${issue.message}`;
  throw new ResponseValidationError(path, problem, action);
}

/** The API item in camelCase, with only the fields that were present. */
export function toInstanceStatus(item: z.output<typeof instanceCloudAssistantStatusSchema>): InstanceStatus {
  const out: {
    -readonly [K in keyof InstanceStatus]: InstanceStatus[K];
  } = {
    instanceId: item.InstanceId,
    cloudAssistantStatus: item.CloudAssistantStatus,
    cloudAssistantVersion: item.CloudAssistantVersion ?? '',
  };
  if (item.LastHeartbeatTime !== undefined) out.lastHeartbeatTime = item.LastHeartbeatTime;
  if (item.LastInvokedTime !== undefined) out.lastInvokedTime = item.LastInvokedTime;
  if (item.ActiveTaskCount !== undefined) out.activeTaskCount = item.ActiveTaskCount;
  if (item.InvocationCount !== undefined) out.invocationCount = item.InvocationCount;
  if (item.OSType !== undefined) out.osType = item.OSType;
  if (item.SupportSessionManager !== undefined) out.supportSessionManager = item.SupportSessionManager;
  return out;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const optString = (v: unknown): boolean => v === undefined || typeof v === 'string';
// JSON.parse turns 1e999 into Infinity, which zod's number refuses: so does the fast path.
const optNumber = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isFinite(v));

/** What some gateways put in `Code` on success; any other `Code` in a body is an error. */
const SUCCESS_CODE = /^(?:success|ok|200)$/i;

/**
 * The error code a response body carries, whatever its HTTP status: its `Code` (a non-empty
 * string or a number) unless that says success. ECS answers errors with HTTP ≥ 400, but a gateway
 * can wrap one in a 200 (`{"Code":"Forbidden.RAM","Message":…}` with no result in it), and that
 * is the error it names, never an empty result. Undefined for a body without one.
 */
export function bodyErrorCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const code = (body as Record<string, unknown>).Code;
  const text = typeof code === 'string' ? code : typeof code === 'number' ? String(code) : undefined;
  return text === undefined || text === '' || SUCCESS_CODE.test(text) ? undefined : text;
}

/** Throws the API error a 200 body carries (see {@link bodyErrorCode}), if it carries one. */
function throwBodyError(data: unknown, action: string): void {
  const apiCode = bodyErrorCode(data);
  if (apiCode === undefined) return;
  const b = data as Record<string, unknown>;
  const text = (v: unknown, maxChars: number) =>
    typeof v === 'string' ? serverText(v, [], { maxChars }) : undefined;
  throw new EcsApiError({
    apiCode: serverText(apiCode, [], { maxChars: 128 }),
    apiMessage: text(b.Message, 1024),
    statusCode: 200,
    requestId: text(b.RequestId, 128),
    hostId: text(b.HostId, 128),
    recommend: text(b.Recommend, 512),
    action,
  });
}

/**
 * @internal The hot path: a plain check of the common, exact wire shape, mapping as it goes. It accepts a
 * subset of what the zod schema accepts (no numeric strings, no `"True"`) and gives up, returning
 * undefined, at the first surprise; the zod schema then decides (and names the field on failure).
 * This halves the CPU per 100-instance response, which the benchmark against a bare client counts.
 */
export function fastDescribe(data: unknown): DescribeCloudAssistantStatusResult | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const b = data as Record<string, unknown>;
  if (typeof b.RequestId !== 'string') return undefined;
  if (
    !optNumber(b.TotalCount) ||
    !optNumber(b.PageNumber) ||
    !optNumber(b.PageSize) ||
    !optString(b.NextToken)
  ) {
    return undefined;
  }
  const set = b.InstanceCloudAssistantStatusSet;
  let items: unknown;
  if (set !== undefined) {
    // An array here is not the API's shape (zod refuses it too): never "no instances".
    if (typeof set !== 'object' || set === null || Array.isArray(set)) return undefined;
    items = (set as Record<string, unknown>).InstanceCloudAssistantStatus;
    if (items !== undefined && !Array.isArray(items)) return undefined;
  }
  const list = (items ?? []) as unknown[];
  const instances = new Array<InstanceStatus>(list.length);
  for (let i = 0; i < list.length; i++) {
    const x = list[i] as Record<string, unknown> | null;
    if (typeof x !== 'object' || x === null) return undefined;
    const id = x.InstanceId;
    const st = x.CloudAssistantStatus;
    if (typeof id !== 'string') return undefined;
    const online = st === 'true' ? true : st === 'false' ? false : typeof st === 'boolean' ? st : undefined;
    if (online === undefined) return undefined;
    const { CloudAssistantVersion: ver, LastHeartbeatTime: hb, LastInvokedTime: inv, OSType: os } = x;
    const { ActiveTaskCount: active, InvocationCount: count, SupportSessionManager: ssm } = x;
    if (!optString(ver) || !optString(hb) || !optString(inv) || !optString(os)) return undefined;
    if (!optNumber(active) || !optNumber(count) || (ssm !== undefined && typeof ssm !== 'boolean'))
      return undefined;
    const out: Mutable<InstanceStatus> = {
      instanceId: id,
      cloudAssistantStatus: online,
      cloudAssistantVersion: (ver as string | undefined) ?? '',
    };
    if (hb !== undefined) out.lastHeartbeatTime = hb as string;
    if (inv !== undefined) out.lastInvokedTime = inv as string;
    if (active !== undefined) out.activeTaskCount = active as number;
    if (count !== undefined) out.invocationCount = count as number;
    if (os !== undefined) out.osType = os as string;
    if (ssm !== undefined) out.supportSessionManager = ssm as boolean;
    instances[i] = out;
  }
  const out: Mutable<DescribeCloudAssistantStatusResult> = { requestId: b.RequestId, instances };
  if (b.TotalCount !== undefined) out.totalCount = b.TotalCount as number;
  if (b.PageNumber !== undefined) out.pageNumber = b.PageNumber as number;
  if (b.PageSize !== undefined) out.pageSize = b.PageSize as number;
  if (b.NextToken !== undefined && b.NextToken !== '') out.nextToken = b.NextToken as string;
  return out;
}

/**
 * Validates a DescribeCloudAssistantStatus body and converts it to the camelCase result. A body
 * carrying an error `Code` is that {@link EcsApiError} (see {@link bodyErrorCode}). The fast path
 * accepts a subset of what the schema accepts and gives the same result for it (property-tested).
 */
export function parseDescribeCloudAssistantStatus(data: unknown): DescribeCloudAssistantStatusResult {
  throwBodyError(data, 'DescribeCloudAssistantStatus');
  return fastDescribe(data) ?? schemaDescribe(data);
}

/** @internal The schema path alone (zod), for the test that holds the fast path to it. */
export function schemaDescribe(data: unknown): DescribeCloudAssistantStatusResult {
  const body = parseResponse(
    describeCloudAssistantStatusResponseSchema,
    data,
    'DescribeCloudAssistantStatus',
  );
  const items = body.InstanceCloudAssistantStatusSet?.InstanceCloudAssistantStatus ?? [];
  const instances = new Array<InstanceStatus>(items.length);
  for (let i = 0; i < items.length; i++) instances[i] = toInstanceStatus(items[i]!);
  const out: Mutable<DescribeCloudAssistantStatusResult> = { requestId: body.RequestId, instances };
  if (body.TotalCount !== undefined) out.totalCount = body.TotalCount;
  if (body.PageNumber !== undefined) out.pageNumber = body.PageNumber;
  if (body.PageSize !== undefined) out.pageSize = body.PageSize;
  if (body.NextToken !== undefined && body.NextToken !== '') out.nextToken = body.NextToken;
  return out;
}
