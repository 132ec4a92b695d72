import type { InstanceStatus } from '@cloud-assistant-gate/core';
import { WaiterError } from './errors.js';

/**
 * A status source broke its contract: an answer that is not an array of readings, or a reading
 * whose `instanceId` or `cloudAssistantStatus` (or another field) is not what the contract says.
 * Waiting cannot fix it (`retryable: false`): the wait ends with a `StatusSourceError` whose
 * `cause` is this error. Nothing a source returns counts as "online" unless it says so in a form
 * the contract names.
 */
export class InvalidStatusReadingError extends WaiterError {
  override readonly name = 'InvalidStatusReadingError' as const;
  override readonly code = 'WAITER_INVALID_STATUS' as const;
  readonly retryable = false;
  /** The instance the reading was about, when it named one. */
  readonly instanceId: string | undefined;
  /** The field that broke the contract (`cloudAssistantStatus`, …), or `(reading)` for the whole item. */
  readonly field: string;
  /** Position of the reading in the source's answer (-1 for the answer itself). */
  readonly index: number;

  constructor(index: number, instanceId: string | undefined, field: string, problem: string) {
    const which =
      index < 0 ? 'answer' : `reading ${index}${instanceId === undefined ? '' : ` (${instanceId})`}`;
    super(
      `The status source's ${which} breaks the status source contract: ${problem}. A status source ` +
        "resolves to an array of { instanceId: string, cloudAssistantStatus: boolean, … } (core's " +
        'InstanceStatus; the official SDK\'s "true"/"false" strings and OSType are accepted too).',
      'WAITER_INVALID_STATUS',
    );
    this.instanceId = instanceId;
    this.field = field;
    this.index = index;
  }
}

/** A short, safe picture of a value for an error message (strings cut, objects by type). */
function show(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  if (typeof value === 'function') return 'a function';
  return `${typeof value} ${String(value)}`;
}

/** `true`/`false`, or the SDK's string form (`"true"`/`"false"`, any case, as core's parser reads the wire); otherwise undefined. */
function booleanOf(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return undefined;
}

const OPTIONAL_STRINGS = ['cloudAssistantVersion', 'lastHeartbeatTime', 'lastInvokedTime', 'osType'] as const;
const OPTIONAL_COUNTS = ['activeTaskCount', 'invocationCount'] as const;

/**
 * One reading checked against the contract and returned as an {@link InstanceStatus}: the same
 * object when it already is one (core's readings), else a normalised copy (the official SDK's
 * model: `cloudAssistantStatus: "false"`, `OSType`, an absent version). `null` counts as absent
 * for optional fields. Throws {@link InvalidStatusReadingError} naming the field and the value.
 */
export function checkReading(value: unknown, index: number): InstanceStatus {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidStatusReadingError(index, undefined, '(reading)', `it is ${show(value)}, not an object`);
  }
  const r = value as Record<string, unknown>;
  const id = r['instanceId'];
  if (typeof id !== 'string' || id === '') {
    const hint = 'InstanceId' in r ? ' (it has InstanceId: map the API item to camelCase)' : '';
    throw new InvalidStatusReadingError(index, undefined, 'instanceId', `instanceId is ${show(id)}${hint}`);
  }
  const raw = r['cloudAssistantStatus'];
  const online = booleanOf(raw);
  if (online === undefined) {
    throw new InvalidStatusReadingError(
      index,
      id,
      'cloudAssistantStatus',
      `cloudAssistantStatus is ${show(raw)}; only true or "true" says the agent is online, false or "false" that it is not`,
    );
  }
  let copy = typeof raw !== 'boolean';
  for (const key of OPTIONAL_STRINGS) {
    const v = r[key];
    if (v === null) copy = true;
    else if (v !== undefined && typeof v !== 'string') {
      throw new InvalidStatusReadingError(index, id, key, `${key} is ${show(v)}, not a string`);
    }
  }
  if (r['cloudAssistantVersion'] === undefined) copy = true;
  for (const key of OPTIONAL_COUNTS) {
    const v = r[key];
    if (v === null) copy = true;
    else if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
      throw new InvalidStatusReadingError(index, id, key, `${key} is ${show(v)}, not a number`);
    }
  }
  const ssm = r['supportSessionManager'];
  const supportSessionManager = ssm === undefined || ssm === null ? undefined : booleanOf(ssm);
  if (ssm !== undefined && ssm !== null && supportSessionManager === undefined) {
    throw new InvalidStatusReadingError(
      index,
      id,
      'supportSessionManager',
      `supportSessionManager is ${show(ssm)}`,
    );
  }
  if (ssm !== undefined && typeof ssm !== 'boolean') copy = true;
  // The SDK names the OS field OSType.
  const sdkOs = r['OSType'];
  if (r['osType'] === undefined && sdkOs !== undefined && sdkOs !== null) {
    if (typeof sdkOs !== 'string')
      throw new InvalidStatusReadingError(index, id, 'OSType', `OSType is ${show(sdkOs)}, not a string`);
    copy = true;
  }
  if (!copy) return value as InstanceStatus;
  const out: { -readonly [K in keyof InstanceStatus]: InstanceStatus[K] } = {
    instanceId: id,
    cloudAssistantStatus: online,
    cloudAssistantVersion: typeof r['cloudAssistantVersion'] === 'string' ? r['cloudAssistantVersion'] : '',
  };
  if (typeof r['lastHeartbeatTime'] === 'string') out.lastHeartbeatTime = r['lastHeartbeatTime'];
  if (typeof r['lastInvokedTime'] === 'string') out.lastInvokedTime = r['lastInvokedTime'];
  if (typeof r['activeTaskCount'] === 'number') out.activeTaskCount = r['activeTaskCount'];
  if (typeof r['invocationCount'] === 'number') out.invocationCount = r['invocationCount'];
  const os = typeof r['osType'] === 'string' ? r['osType'] : typeof sdkOs === 'string' ? sdkOs : undefined;
  if (os !== undefined) out.osType = os;
  if (supportSessionManager !== undefined) out.supportSessionManager = supportSessionManager;
  return out;
}

/**
 * Which of two readings of one instance in one answer stands: when they disagree on
 * `cloudAssistantStatus`, the offline one (a conflicting answer is not a ready one); when they
 * agree, the first.
 */
export function mergeReadings(first: InstanceStatus, next: InstanceStatus): InstanceStatus {
  return first.cloudAssistantStatus && !next.cloudAssistantStatus ? next : first;
}

/**
 * The readings of one status call, made safe to act on; the one rule the wait and the CLI's
 * `status` share:
 * - the answer must be an array, and every reading for an asked ID must meet the contract
 *   ({@link checkReading});
 * - readings for IDs the call did not ask for are ignored (another batch's instance is not
 *   answered by this call);
 * - an ID listed more than once keeps one reading by {@link mergeReadings}: a conflicting
 *   duplicate (online and offline) is offline.
 *
 * The result holds at most one reading per asked ID, in the order of the answer. The common
 * answer (one reading per ID, in request order, already core's shape) is returned as is.
 */
export function readingsFor(asked: readonly string[], answer: unknown): readonly InstanceStatus[] {
  if (!Array.isArray(answer)) {
    throw new InvalidStatusReadingError(-1, undefined, '(answer)', `it is ${show(answer)}, not an array`);
  }
  const statuses = answer as readonly unknown[];
  if (statuses.length === asked.length) {
    let k = 0;
    for (; k < statuses.length; k++) {
      const s = statuses[k];
      if (typeof s !== 'object' || s === null || (s as InstanceStatus).instanceId !== asked[k]) break;
      if (checkReading(s, k) !== s) break;
    }
    if (k === statuses.length) return statuses as readonly InstanceStatus[];
  }
  const wanted = new Set(asked);
  const byId = new Map<string, InstanceStatus>();
  for (let k = 0; k < statuses.length; k++) {
    const s = statuses[k];
    const id = typeof s === 'object' && s !== null ? (s as { instanceId?: unknown }).instanceId : undefined;
    // Not one of ours: ignored, unless it is not even a reading.
    if (typeof id === 'string' && id !== '' && !wanted.has(id)) continue;
    const reading = checkReading(s, k);
    const before = byId.get(reading.instanceId);
    byId.set(reading.instanceId, before === undefined ? reading : mergeReadings(before, reading));
  }
  return [...byId.values()];
}
