/**
 * Account quotas, the way ECS documents its throttling: per account, per region, per API, in
 * fixed windows ("if an API operation is throttled at minute T, it can be called again as of
 * minute T+1": https://www.alibabacloud.com/help/doc-detail/437902.htm, ecs-fidelity §1). Every
 * AccessKey and STS session of an account counts against the same quota. ECS publishes the numbers
 * only in Quota Center, so there is no default limit: a scenario names them.
 *
 * Window k of the simulator's wall clock (`now`) covers `[k·windowMs, (k+1)·windowMs)`. A call is
 * granted while fewer than `limit` calls of its (account, region, action) were granted in the
 * current window; otherwise it gets 400 `Throttling.User` (and does not count against the quota).
 */
import {
  allKeys,
  checkBoolean,
  checkInteger,
  checkOptionKeys,
  OptionRangeError,
  OptionTypeError,
} from '@cloud-assistant-gate/core/options';
import { apiErrors } from './errors.js';
import type { Throttled } from './faults.js';

/** The `quota` option (plain JSON; part of a scenario). */
export interface QuotaOptions {
  /**
   * Calls allowed per window, per (account, region, action): an action name, or `"*"` for every
   * action without its own entry. An action with neither is not limited. Integers ≥ 0.
   */
  readonly limits: Readonly<Record<string, number>>;
  /** Window length in ms of the wall clock. @default 60000 (ECS's one-minute windows) */
  readonly windowMs?: number;
  /**
   * Send `x-acs-retry-after` with the ms to the next window. ECS does not document the header
   * for ECS (ecs-fidelity §1), so a client must cope without it. @default false
   */
  readonly retryAfter?: boolean;
}

/** The calls of one (account, region, action) in one window. */
export interface QuotaWindowUsage {
  readonly accountId: string;
  /** The request's `RegionId` (`""` when it had none). */
  readonly region: string;
  readonly action: string;
  /** Window index k: the window covers `[k·windowMs, (k+1)·windowMs)` of the wall clock. */
  readonly window: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly limit: number;
  /** Calls let through. */
  readonly granted: number;
  /** Calls answered with `Throttling.User`. */
  readonly throttled: number;
}

export interface QuotaUsageFilter {
  readonly accountId?: string;
  readonly region?: string;
  readonly action?: string;
  readonly window?: number;
}

export interface QuotaEngine {
  readonly windowMs: number;
  readonly retryAfter: boolean;
  /** The limit for an action (its own entry, else `"*"`), or undefined when it is not limited. */
  limitFor(action: string): number | undefined;
  /** Counts one call; returns the throttling answer when the call is over the quota. */
  take(accountId: string, region: string, action: string): Throttled | undefined;
  /** Windows with at least one call, oldest first (the newest {@link MAX_HISTORY}). */
  usage(filter?: QuotaUsageFilter): QuotaWindowUsage[];
}

export const DEFAULT_QUOTA_WINDOW_MS = 60_000;
/** Windows kept for `usage()`; older ones are forgotten (a long load test must not grow memory). */
export const MAX_HISTORY = 100_000;

const ACTION_NAME = /^[A-Z][A-Za-z0-9]*$/;
const QUOTA_KEYS = allKeys<QuotaOptions>()(['limits', 'windowMs', 'retryAfter']);

interface Counter {
  readonly accountId: string;
  readonly region: string;
  readonly action: string;
  window: number;
  readonly limit: number;
  granted: number;
  throttled: number;
}

/**
 * Checks a `quota` option (from code or a scenario file) and says exactly what is wrong.
 * `knownActions` are the actions the simulator answers: a limit for any other name is a typo.
 */
export function validateQuota(value: unknown, knownActions: Iterable<string>): Required<QuotaOptions> {
  const what = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : JSON.stringify(v));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = what(value);
    throw new OptionTypeError(
      'quota',
      (name) =>
        `Expected ${name('quota')} to be an object like { "limits": { "DescribeCloudAssistantStatus": 600 } }, got ${got}.`,
    );
  }
  checkOptionKeys(value, QUOTA_KEYS, 'quota', 'quota.');
  const q = value as { limits?: unknown; windowMs?: unknown; retryAfter?: unknown };
  const limits = q.limits;
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    const got = what(limits);
    throw new OptionTypeError(
      'quota.limits',
      (name) =>
        `Expected ${name('quota.limits')} to map action names (or "*") to calls per window, e.g. { "DescribeCloudAssistantStatus": 600 }, got ${got}.`,
    );
  }
  const entries = Object.entries(limits as Record<string, unknown>);
  if (entries.length === 0) {
    throw new OptionRangeError(
      'quota.limits',
      (name) => `${name('quota.limits')} is empty: name at least one action, or "*" for every action`,
    );
  }
  const known = new Set(knownActions);
  const out: Record<string, number> = {};
  for (const [action, limit] of entries) {
    const option = `quota.limits.${action}`;
    if (action !== '*' && !ACTION_NAME.test(action)) {
      throw new OptionRangeError(
        option,
        (name) =>
          `${name('quota.limits')}: ${JSON.stringify(action)} is not an action name; use an API action such as DescribeCloudAssistantStatus, or "*"`,
      );
    }
    if (action !== '*' && !known.has(action)) {
      const answered = [...known].sort().join(', ');
      throw new OptionRangeError(
        option,
        (name) =>
          `${name('quota.limits')}: the simulator does not answer ${action}; it answers ${answered} (or use "*")`,
      );
    }
    out[action] = checkInteger(option, limit, { min: 0, expected: 'an integer ≥ 0 (calls per window)' });
  }
  const windowMs = checkInteger('quota.windowMs', q.windowMs, {
    min: 1,
    expected: 'an integer number of ms ≥ 1',
    default: DEFAULT_QUOTA_WINDOW_MS,
  });
  const retryAfter = checkBoolean('quota.retryAfter', q.retryAfter, { default: false });
  return { limits: out, windowMs, retryAfter };
}

/** The quota engine for validated options; `now` is the simulator's wall clock. */
export function createQuota(options: Required<QuotaOptions>, now: () => number): QuotaEngine {
  const { windowMs, retryAfter } = options;
  const limits = new Map(Object.entries(options.limits));
  const star = limits.get('*');
  // account → region → action → the counter of the latest window with a call.
  const counters = new Map<string, Map<string, Map<string, Counter>>>();
  let history: Counter[] = [];

  const limitFor = (action: string): number | undefined => limits.get(action) ?? star;

  return {
    windowMs,
    retryAfter,
    limitFor,
    take(accountId, region, action) {
      const limit = limitFor(action);
      if (limit === undefined) return undefined;
      const t = now();
      const k = Math.floor(t / windowMs);
      let byRegion = counters.get(accountId);
      if (byRegion === undefined) {
        byRegion = new Map();
        counters.set(accountId, byRegion);
      }
      let byAction = byRegion.get(region);
      if (byAction === undefined) {
        byAction = new Map();
        byRegion.set(region, byAction);
      }
      let c = byAction.get(action);
      if (c === undefined || c.window !== k) {
        c = { accountId, region, action, window: k, limit, granted: 0, throttled: 0 };
        byAction.set(action, c);
        history.push(c);
        if (history.length > MAX_HISTORY) history = history.slice(history.length - MAX_HISTORY / 2);
      }
      if (c.granted < limit) {
        c.granted++;
        return undefined;
      }
      c.throttled++;
      return {
        error: apiErrors.throttlingUser(),
        retryAfterMs: retryAfter ? Math.max(1, Math.ceil((k + 1) * windowMs - t)) : undefined,
      };
    },
    usage(filter = {}) {
      const out: QuotaWindowUsage[] = [];
      for (const c of history) {
        if (filter.accountId !== undefined && c.accountId !== filter.accountId) continue;
        if (filter.region !== undefined && c.region !== filter.region) continue;
        if (filter.action !== undefined && c.action !== filter.action) continue;
        if (filter.window !== undefined && c.window !== filter.window) continue;
        out.push({
          accountId: c.accountId,
          region: c.region,
          action: c.action,
          window: c.window,
          startMs: c.window * windowMs,
          endMs: (c.window + 1) * windowMs,
          limit: c.limit,
          granted: c.granted,
          throttled: c.throttled,
        });
      }
      return out;
    },
  };
}
