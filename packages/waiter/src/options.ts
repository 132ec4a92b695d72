import type {
  AgentInstaller,
  EcsClientOptions,
  InstanceRebooter,
  InstanceStatusLookup,
  StatusSource,
} from '@cloud-assistant-gate/core';
import {
  allKeys,
  checkBoolean,
  checkFunction,
  checkInteger,
  checkMilliseconds,
  checkNumber,
  checkObject,
  checkOneOf,
  checkOptionKeys,
  describeValue,
  OptionRangeError,
  OptionTypeError,
  outOfRange,
  wrongType,
} from '@cloud-assistant-gate/core/options';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { DEFAULT_AGENT_GRACE_MS } from './instance-check.js';
import type { ReadinessOptions } from './readiness.js';
import { isDottedVersion } from './readiness.js';
import { type OpenedRegions, resolveRegionClients } from './region-clients.js';
import type { RemediateOptions } from './remediate.js';
import type { ReadinessProgress } from './report.js';

/**
 * A core `EcsClient`, or any object exposing a status source. The optional capabilities are
 * used when present (a core client has them all): `instanceStatus` (DescribeInstanceStatus) for
 * precise reasons at the end of a failed wait and for `stoppedInstances: 'fail'`; `installAgent`
 * and `reboot` only for opt-in `remediate`. `region` names the client's region.
 */
export interface StatusSourceProvider {
  readonly statusSource: StatusSource;
  readonly region?: string | undefined;
  readonly instanceStatus?: InstanceStatusLookup | undefined;
  readonly installAgent?: AgentInstaller | undefined;
  readonly reboot?: InstanceRebooter | undefined;
}

/**
 * Options of {@link waitForCloudAssistant} and {@link watchCloudAssistant}. All times are in
 * milliseconds. Validated before anything is sent: a bad value throws one of core's option errors
 * (an `OptionTypeError` or `OptionRangeError`, a `TypeError`/`RangeError`; `UnknownOptionError`
 * for a key nobody reads) naming the option and the value, with the option's dotted path in
 * `option` (`isOptionError()` from `@cloud-assistant-gate/core` tells them apart). All optional: with neither `client` nor
 * `region`, the region comes from `ALIBABA_CLOUD_REGION_ID` and the credentials from core's
 * default chain.
 *
 * @example
 * const client = createEcsClient({ region: 'cn-hangzhou' });
 * await waitForCloudAssistant(ids, { client, timeoutMs: 5 * 60_000, minReady: '90%' });
 */
export interface WaitForCloudAssistantOptions {
  /**
   * Where statuses come from: a core `EcsClient` (its `statusSource` is used; the wait does not
   * close it, so share one client per region and its request budget across waits) or any function
   * `(ids, { signal, onAttempt? }) => Promise<InstanceStatus[]>`. A plain function gets a request
   * budget of its own for this wait (core's `rateLimitedSource`, on this wait's `scheduler`), so
   * it still backs off when throttled; wrap it yourself with `rateLimitedSource` to share one
   * budget between waits or to tune it. Give at most one of `client` and `region`.
   * @default undefined (a client for `region`, or for `ALIBABA_CLOUD_REGION_ID`)
   */
  readonly client?: StatusSource | StatusSourceProvider | undefined;
  /**
   * One client per region, for a fleet in several regions: `{ 'cn-hangzhou': ecsA, 'cn-beijing':
   * ecsB }` (each a core client or a status source, as `client`; the wait does not close them).
   * Bare IDs are located in this order; IDs with a region (`cn-beijing:i-…`) must name one of them.
   * @default undefined
   */
  readonly clients?: Readonly<Record<string, StatusSource | StatusSourceProvider>> | undefined;
  /**
   * Region ID (e.g. `cn-hangzhou`): the wait creates its own core client with `endpoint` and
   * `credentials`, and closes it when it settles. Give at most one of `region`, `regions`,
   * `client` and `clients`.
   * @default env.ALIBABA_CLOUD_REGION_ID when no client nor regions are given either
   */
  readonly region?: string | undefined;
  /**
   * Several regions in one wait: one core client per region (each with its own endpoint and
   * request budget), one report. IDs may carry their region (`cn-beijing:i-…` or `{ instanceId,
   * region }`; a region named only by IDs is added after these); a bare ID is located: polled in
   * the first region, and if that region does not know it, in the next, within the same round
   * (about one extra call per such ID and region it is not in; see the README).
   * @default undefined (`region`)
   */
  readonly regions?: readonly string[] | undefined;
  /**
   * With `region`/`regions`: a full URL (`http://127.0.0.1:8080`) or a bare host (HTTPS), used
   * for every region (one endpoint serving several regions, like the simulator).
   * @default the official SDK's endpoint of each region
   */
  readonly endpoint?: string | undefined;
  /**
   * With `region`/`regions`: an AccessKey pair or a provider function.
   * @default core's default chain (`env`, ~/.aliyun/config.json, ~/.alibabacloud/credentials, ECS RAM role)
   */
  readonly credentials?: EcsClientOptions['credentials'];
  /**
   * The environment the wait reads, only when it creates its own client (no `client`):
   * `ALIBABA_CLOUD_REGION_ID` when `region` is not given, and the variables of core's default
   * credentials chain (`ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ECS_METADATA_DISABLED`, …)
   * when `credentials` is not given. Ignored with `client`. A test seam as much as an option.
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /**
   * Overall deadline, API latency included: calls still in flight at the deadline are aborted.
   * Ten minutes covers the documented "online within 2 minutes" of the agent plus slow boots and
   * image initialisation, and matches the AWS CLI (15 s × 40) and Ansible defaults.
   * @default 600_000
   */
  readonly timeoutMs?: number | undefined;
  /**
   * Fail fast on a broken setup: when no call of the wait has had an answer from the API within
   * this long of the start, the wait rejects with `SourceUnreachableError` (the last error, its
   * low-level code such as `ECONNREFUSED`, and the endpoint) instead of looking like slow agents
   * until `timeoutMs`. A closed port fails each call within a second, and a server that accepts
   * and never answers costs one per-attempt timeout (10 s in core) per attempt, so 60 s is about
   * three rounds of a refused endpoint, or the first round's retries of a hanging one, and a tenth
   * of the default timeout. An answer is a successful call, or an `InvalidInstance.NotFound` or
   * `Throttling*` error (both prove the endpoint and credentials work); after the first answer,
   * outages are ridden out until `timeoutMs` as before. `Infinity` (or any value ≥ `timeoutMs`)
   * turns it off.
   * @default 60_000
   */
  readonly firstAnswerTimeoutMs?: number | undefined;
  /**
   * Shortest pause between rounds. ECS's throttling guide suggests polling status every 1–2 s,
   * and Smithy and Azure use 2 s: agents report their first heartbeat within seconds of starting,
   * so polling faster mostly spends the account's API budget.
   * @default 2_000
   */
  readonly minDelayMs?: number | undefined;
  /**
   * Longest pause between rounds (jittered to [maxDelayMs / 2, maxDelayMs] at the cap). Agents
   * beat every 55–65 s, so a stalled instance changes state at most once a minute; a 20 s cap
   * notices a late agent within a third of a heartbeat (15 s on average), where Smithy's 120 s
   * default can add two minutes, while a 100,000-instance fleet still costs only about 50 calls/s.
   * @default 20_000
   */
  readonly maxDelayMs?: number | undefined;
  /**
   * Cost-aware pacing: the pause after a round is at least `pollCostMs` per batch call the next
   * round will send (capped at `maxDelayMs`, jittered down by up to a quarter), so whenever rounds
   * are expensive a wait averages at most about one polling call per `pollCostMs` (25 calls/s at
   * 40 ms). A fleet of up to 5,000 pending instances (≤ 50 calls a round) is unaffected and polls
   * every `minDelayMs` while agents arrive; 10,000 pending (100 calls) pause about 3–4 s instead
   * of 2 s. 40 ms keeps per-instance detection latency under a naive 5 s loop's in benchmark 2
   * (longer costs quickly push its p95 past the loop's: see the README's "Schedule"). `0` turns
   * pacing off.
   * @default 40
   */
  readonly pollCostMs?: number | undefined;
  /**
   * Batch calls (≤ 100 IDs each) in flight at once within a round.
   * @default 4
   */
  readonly concurrency?: number | undefined;
  /**
   * Ceiling of the request rate of the budget this wait creates: the core client it creates for
   * `region`, or the budget around a plain function `client`. The request budget, pacing and
   * throttling back-off belong to core, per client and per action (the waiter has no limiter):
   * a shared `EcsClient`, or a source already wrapped by `rateLimitedSource`, has its own budget,
   * so this option is refused with them (set `maxRequestsPerSecond` where that budget is made).
   * By default there is no ceiling: the budget starts with a slow start and learns the account's
   * quota from ECS's throttling (per-minute windows, UNVERIFIED for this API and configurable on
   * the client), which composes across waits where a fixed per-wait figure does not.
   * @default undefined (no ceiling)
   */
  readonly maxRequestsPerSecond?: number | undefined;
  /**
   * Calls a round may spend locating IDs that ECS does not know, when a batch fails with
   * `InvalidInstance.NotFound` (bisection, counted in `bisectionCalls`). IDs not located when it
   * is spent are polled apart next round, as suspects. So a round costs at most
   * ceil(known / 100) + ceil(suspects / 100) + this many calls, retries aside. 100 covers
   * almost all of a fully unknown batch (100 freshly created IDs cost 105 calls, 1 each after
   * the first), or at least 8 unknown IDs anywhere in batches of 100 (at most 12 calls each;
   * 8–9 for one alone) per round.
   * @default 100
   */
  readonly maxBisectionCallsPerRound?: number | undefined;
  /**
   * How many instances must be ready: `'all'`, a count (an integer ≥ 1: `1` means one instance),
   * or a share of the deduplicated list as a percentage string (`'90%'`, `'99.5%'`), rounded up.
   * A fractional number such as `0.9` is refused with a `RangeError` showing both readings:
   * JavaScript cannot tell `1.0` from `1`, so a fraction form would make `1.0` mean one instance.
   * @default 'all'
   */
  readonly minReady?: number | Percentage | 'all' | undefined;
  /**
   * What "ready" means beyond `CloudAssistantStatus: true`.
   * @default {}
   */
  readonly readiness?: ReadinessOptions | undefined;
  /**
   * What to do with IDs ECS does not know: `'wait'` keeps polling them until `notFoundGraceMs`
   * after the start (new instances can take a while to appear in the API), `'fail'` gives up on
   * them at the first NotFound. Either way, once `minReady` cannot be met the wait rejects with
   * `QuorumUnreachableError`.
   * @default 'wait'
   */
  readonly notFound?: 'wait' | 'fail' | undefined;
  /**
   * With `notFound: 'wait'`, how long after the start an ID may stay unknown before it is
   * given up on.
   * @default 60_000
   */
  readonly notFoundGraceMs?: number | undefined;
  /**
   * Instances that are `Stopped` (per DescribeInstanceStatus) will not get an agent: `'wait'`
   * keeps polling them (someone may start them) and names them `instance-stopped` if the wait
   * fails; `'fail'` looks up the lifecycle status of instances whose agent is not online after the
   * first round and then every 30 s (DescribeInstanceStatus, ≤ 100 IDs per call, ceil(n / 50)
   * calls for n such instances), and gives up on a `Stopped` one at once, like an unknown ID with
   * `notFound: 'fail'`: the wait fails as soon as `minReady` cannot be met. A client without
   * `instanceStatus` (a bare status function) cannot look up: then both behave as `'wait'`.
   * @default 'wait'
   */
  readonly stoppedInstances?: 'wait' | 'fail' | undefined;
  /**
   * Opt-in remediation of a missing agent (off by default): `{ install: true }` installs the
   * agent (InstallCloudAssistant) on instances seen `Running` for `afterMs` whose agent never
   * reported, and `{ install: true, reboot: true }` also reboots them (RebootInstances) so that the
   * agent starts. **This reboots running instances**; never without `reboot: true`, and never an
   * instance whose agent was ever seen. Needs a client with `installAgent` (and `reboot`).
   * @default undefined (no remediation)
   */
  readonly remediate?: RemediateOptions | undefined;
  /** Cancels the wait: rejects with `signal.reason`, aborts in-flight calls, sends nothing more. */
  readonly signal?: AbortSignal | undefined;
  /** Called after every round (also emitted by {@link watchCloudAssistant}). */
  readonly onProgress?: ((progress: ReadinessProgress) => void) | undefined;
  /**
   * Test seam: the clock, in ms since the epoch.
   * @default () => scheduler.now()
   */
  readonly now?: (() => number) | undefined;
  /**
   * Test seam: uniform random in [0, 1) for the jitter.
   * @default Math.random
   */
  readonly random?: (() => number) | undefined;
  /**
   * Test seam: the rxjs scheduler all timers go through (pauses, deadline, and the request
   * budget the wait creates around a plain function source).
   * @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * The most batch calls a wait keeps in flight at once (`concurrency`). The CLI checks
 * `--concurrency` against the same limit.
 */
export const MAX_CONCURRENCY = 100;

/** The defaults, in one place. */
export const defaults = {
  timeoutMs: 600_000,
  firstAnswerTimeoutMs: 60_000,
  minDelayMs: 2_000,
  maxDelayMs: 20_000,
  pollCostMs: 40,
  concurrency: 4,
  /** No ceiling: see {@link WaitForCloudAssistantOptions.maxRequestsPerSecond}. */
  maxRequestsPerSecond: undefined,
  maxBisectionCallsPerRound: 100,
  minReady: 'all',
  notFound: 'wait',
  notFoundGraceMs: 60_000,
  stoppedInstances: 'wait',
  /** `remediate.afterMs`: also the grace after which the lookups call an agent missing. */
  remediateAfterMs: DEFAULT_AGENT_GRACE_MS,
} as const;

/** Every key of {@link WaitForCloudAssistantOptions}; any other is refused, naming the closest. */
const OPTION_KEYS = allKeys<WaitForCloudAssistantOptions>()([
  'client',
  'clients',
  'region',
  'regions',
  'endpoint',
  'credentials',
  'env',
  'timeoutMs',
  'firstAnswerTimeoutMs',
  'minDelayMs',
  'maxDelayMs',
  'pollCostMs',
  'concurrency',
  'maxRequestsPerSecond',
  'maxBisectionCallsPerRound',
  'minReady',
  'readiness',
  'notFound',
  'notFoundGraceMs',
  'stoppedInstances',
  'remediate',
  'signal',
  'onProgress',
  'now',
  'random',
  'scheduler',
]);

const REMEDIATE_KEYS = allKeys<RemediateOptions>()(['install', 'reboot', 'afterMs']);

const READINESS_KEYS = allKeys<ReadinessOptions>()([
  'requireSessionManager',
  'minAgentVersion',
  'maxHeartbeatAgeMs',
  'osType',
  'consecutive',
  'predicate',
]);

/** The slowest `maxRequestsPerSecond`: one call per 1,000 s keeps the pause within a timer. */
const MIN_REQUESTS_PER_SECOND = 0.001;

/** `remediate` with its defaults filled in. */
export interface ResolvedRemediation {
  readonly install: true;
  readonly reboot: boolean;
  readonly afterMs: number;
}

export interface ResolvedOptions {
  /** Called once per wait (per subscription): the clients of every region. */
  readonly open: () => OpenedRegions;
  readonly stoppedInstances: 'wait' | 'fail';
  readonly remediate: ResolvedRemediation | undefined;
  readonly timeoutMs: number;
  /** `Infinity`: off. */
  readonly firstAnswerTimeoutMs: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly pollCostMs: number;
  readonly concurrency: number;
  readonly maxBisectionCallsPerRound: number;
  /** `minReady` resolved against the deduplicated list. */
  readonly required: number;
  readonly readiness: ReadinessOptions;
  readonly consecutive: number;
  readonly notFound: 'wait' | 'fail';
  readonly notFoundGraceMs: number;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: ((progress: ReadinessProgress) => void) | undefined;
  readonly now: () => number;
  readonly random: () => number;
  readonly scheduler: SchedulerLike;
}

/** `check(option, value)` for an option that may be left out: `undefined` stays `undefined`. */
function optional<T>(
  check: (option: string, value: unknown) => T,
  option: string,
  value: unknown,
): T | undefined {
  return value === undefined ? undefined : check(option, value);
}

/** A share of the instances, written as a percentage: `'90%'`, `'99.5%'`, `'100%'`. */
export type Percentage = `${number}%`;

const PERCENTAGE = /^(\d+(?:\.\d+)?)%$/;

/** What `minReady` accepts, as its messages say it. */
const MIN_READY_FORMS = "'all', an integer count or a percentage string like '90%'";

/**
 * The error for a fractional number such as `0.9`: it shows both readings, because `1.0` cannot
 * be told from `1` in JavaScript, so a fraction form would make `minReady: 1.0` mean one instance.
 */
function ambiguousMinReady(value: number): OptionRangeError {
  if (value > 1) {
    return new OptionRangeError(
      'minReady',
      (name) =>
        `${name('minReady')} ${value} is not a whole number: pass an integer count (e.g. ${Math.ceil(value)}) or a percentage string like '90%'.`,
    );
  }
  const percent = Number((value * 100).toFixed(6));
  return new OptionRangeError(
    'minReady',
    (name) =>
      `${name('minReady')} ${value} is ambiguous: for ${percent} % of the instances pass the string '${percent}%'; ` +
      'for a count pass an integer (1 is one instance). Fractions are refused because 1.0 cannot be told from 1.',
  );
}

/**
 * How many of `total` distinct instances `minReady` asks for: `'all'`/undefined is all, an
 * integer is a count, a percentage string (`'90%'`) a share rounded up (a product within 1e-9 of
 * an integer counts as that integer, so 7% of 100 is 7). A fractional number (`0.9`, `1.5`) is
 * refused with a message showing both readings. Exported so the CLI announces the number the wait
 * uses.
 * @throws {OptionTypeError | OptionRangeError} (`option: 'minReady'`) for a value the wait would refuse
 */
export function resolveRequired(value: unknown, total: number): number {
  if (value === undefined || value === 'all') return total;
  if (typeof value === 'string') {
    const match = PERCENTAGE.exec(value.trim());
    if (match === null) throw wrongType('minReady', MIN_READY_FORMS, value);
    const percent = Number(match[1]);
    if (!(percent > 0 && percent <= 100))
      throw outOfRange('minReady', 'more than 0% and at most 100%', value);
    // 7 × 100 / 100 is exact, but 29.1% of 100 is 29.099999999999998: a product within rounding
    // error of an integer is that integer.
    const exact = (percent * total) / 100;
    const nearest = Math.round(exact);
    const needed = Math.abs(exact - nearest) <= 1e-9 * Math.max(1, exact) ? nearest : Math.ceil(exact);
    return Math.min(total, Math.max(total === 0 ? 0 : 1, needed));
  }
  if (typeof value !== 'number' || Number.isNaN(value)) throw wrongType('minReady', MIN_READY_FORMS, value);
  if (!Number.isInteger(value) && Number.isFinite(value) && value > 0) throw ambiguousMinReady(value);
  if (!Number.isInteger(value) || value < 1) {
    throw outOfRange('minReady', "'all', an integer ≥ 1 or a percentage string like '90%'", value);
  }
  if (total > 0 && value > total) {
    throw new OptionRangeError(
      'minReady',
      (name) =>
        `${name('minReady')} (${value}) is more than the ${total} distinct instance IDs given; lower ${name('minReady')} or pass more IDs.`,
    );
  }
  return Math.min(value, total);
}

function resolveRemediate(value: unknown): ResolvedRemediation | undefined {
  if (value === undefined || value === false) return undefined;
  const r = checkObject('remediate', value, { expected: 'an object like { install: true, reboot: true }' });
  checkOptionKeys(r, REMEDIATE_KEYS, 'options.remediate', 'remediate.');
  if (r['install'] !== true) {
    const got = describeValue(r['install']);
    throw new OptionTypeError(
      'remediate.install',
      (name) =>
        `Expected ${name('remediate.install')} to be true (remediation installs the agent), got ${got}; leave ${name('remediate')} out to turn it off.`,
    );
  }
  return {
    install: true,
    reboot: checkBoolean('remediate.reboot', r['reboot'], { default: false }),
    afterMs: checkMilliseconds('remediate.afterMs', r['afterMs'], { default: defaults.remediateAfterMs }),
  };
}

function resolveReadiness(value: unknown): ReadinessOptions {
  if (value === undefined) return {};
  const r = checkObject('readiness', value);
  checkOptionKeys(r, READINESS_KEYS, 'options.readiness', 'readiness.');
  optional(checkBoolean, 'readiness.requireSessionManager', r['requireSessionManager']);
  const minAgentVersion = r['minAgentVersion'];
  if (
    minAgentVersion !== undefined &&
    (typeof minAgentVersion !== 'string' || !isDottedVersion(minAgentVersion))
  ) {
    throw wrongType('readiness.minAgentVersion', 'a dotted numeric version like "2.2.3"', minAgentVersion);
  }
  optional(
    (o, v) => checkMilliseconds(o, v, { min: 1 }),
    'readiness.maxHeartbeatAgeMs',
    r['maxHeartbeatAgeMs'],
  );
  const osType = r['osType'];
  if (osType !== undefined && (typeof osType !== 'string' || osType === '')) {
    throw wrongType('readiness.osType', '"Linux", "Windows" or "FreeBSD"', osType);
  }
  checkInteger('readiness.consecutive', r['consecutive'], { min: 1, max: 1000, default: 1 });
  optional(checkFunction, 'readiness.predicate', r['predicate']);
  return value as ReadinessOptions;
}

/** Whether `value` looks like an `AbortSignal` (one from another realm or polyfill counts). */
const isSignalLike = (value: unknown): value is AbortSignal =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as AbortSignal).addEventListener === 'function' &&
  typeof (value as AbortSignal).aborted === 'boolean';

/** Whether `value` looks like an rxjs scheduler. */
const isSchedulerLike = (value: unknown): value is SchedulerLike =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as SchedulerLike).schedule === 'function' &&
  typeof (value as SchedulerLike).now === 'function';

/**
 * Validates and fills in options for a list of `total` distinct IDs, with core's option checker:
 * a refused option throws one of core's option errors (`OptionTypeError`, `OptionRangeError`,
 * `UnknownOptionError`; `isOptionError()` is true) whose `option` is its dotted path
 * (`timeoutMs`, `readiness.minAgentVersion`); a refused combination names the option to change
 * (`timeoutMs` below `minDelayMs`: `option` is `timeoutMs`).
 * @throws {OptionTypeError | OptionRangeError | UnknownOptionError} naming the option and the value.
 */
export function resolveOptions(
  options: WaitForCloudAssistantOptions | undefined,
  total: number,
  ids: { readonly idRegions: readonly string[]; readonly hasBareIds: boolean } = {
    idRegions: [],
    hasBareIds: true,
  },
): ResolvedOptions {
  const o = checkObject('options', options === undefined ? {} : options);
  // Before anything else: `{ timeout: 5000 }` would otherwise wait the 10-minute default.
  checkOptionKeys(o, OPTION_KEYS, 'waitForCloudAssistant/watchCloudAssistant');
  const timeoutMs = checkMilliseconds('timeoutMs', o['timeoutMs'], { min: 1, default: defaults.timeoutMs });
  const minDelayMs = checkMilliseconds('minDelayMs', o['minDelayMs'], {
    min: 1,
    default: defaults.minDelayMs,
  });
  const maxDelayMs = checkMilliseconds('maxDelayMs', o['maxDelayMs'], {
    min: 1,
    default: Math.max(defaults.maxDelayMs, minDelayMs),
  });
  if (maxDelayMs < minDelayMs) {
    throw new OptionRangeError(
      'maxDelayMs',
      (name) =>
        `${name('maxDelayMs')} (${maxDelayMs}) is less than ${name('minDelayMs')} (${minDelayMs}); raise ${name('maxDelayMs')}.`,
    );
  }
  if (timeoutMs < minDelayMs) {
    throw new OptionRangeError(
      'timeoutMs',
      (name) =>
        `${name('timeoutMs')} (${timeoutMs}) is shorter than ${name('minDelayMs')} (${minDelayMs}), leaving no room for a second poll; ` +
        `raise ${name('timeoutMs')} or lower ${name('minDelayMs')}.`,
    );
  }
  const concurrency = checkInteger('concurrency', o['concurrency'], {
    min: 1,
    max: MAX_CONCURRENCY,
    default: defaults.concurrency,
  });
  // Below the minimum the pause between two calls would overflow a timer (and fire at once).
  const rps = optional(
    (option, value) =>
      checkNumber(option, value, {
        min: MIN_REQUESTS_PER_SECOND,
        expected: `a number ≥ ${MIN_REQUESTS_PER_SECOND} (or Infinity for no cap)`,
      }),
    'maxRequestsPerSecond',
    o['maxRequestsPerSecond'],
  );
  // `null` has always meant the default for these two (core's checker would refuse it): kept.
  const notFound = checkOneOf('notFound', o['notFound'] ?? undefined, ['wait', 'fail'], {
    default: defaults.notFound,
  });
  const signal = o['signal'];
  if (signal !== undefined && !isSignalLike(signal)) throw wrongType('signal', 'an AbortSignal', signal);
  const scheduler = o['scheduler'] ?? asyncScheduler;
  if (!isSchedulerLike(scheduler)) throw wrongType('scheduler', 'an rxjs SchedulerLike', scheduler);
  const readiness = resolveReadiness(o['readiness']);
  const stoppedInstances = checkOneOf(
    'stoppedInstances',
    o['stoppedInstances'] ?? undefined,
    ['wait', 'fail'],
    {
      default: defaults.stoppedInstances,
    },
  );
  const now = optional(checkFunction<() => number>, 'now', o['now']) ?? (() => scheduler.now());
  const random = optional(checkFunction<() => number>, 'random', o['random']) ?? Math.random;
  const open = resolveRegionClients(o, ids.idRegions, ids.hasBareIds, {
    scheduler,
    now,
    random,
    maxRequestsPerSecond:
      rps === undefined || rps === Number.POSITIVE_INFINITY ? defaults.maxRequestsPerSecond : rps,
  });
  const firstAnswer = o['firstAnswerTimeoutMs'];
  const firstAnswerTimeoutMs =
    firstAnswer === Number.POSITIVE_INFINITY
      ? Number.POSITIVE_INFINITY
      : checkMilliseconds('firstAnswerTimeoutMs', firstAnswer, {
          min: 1,
          default: defaults.firstAnswerTimeoutMs,
        });
  return {
    open,
    stoppedInstances,
    remediate: resolveRemediate(o['remediate']),
    timeoutMs,
    firstAnswerTimeoutMs,
    minDelayMs,
    maxDelayMs,
    pollCostMs: checkMilliseconds('pollCostMs', o['pollCostMs'], { default: defaults.pollCostMs }),
    concurrency,
    maxBisectionCallsPerRound: checkInteger('maxBisectionCallsPerRound', o['maxBisectionCallsPerRound'], {
      min: 1,
      max: 1_000_000,
      default: defaults.maxBisectionCallsPerRound,
    }),
    required: resolveRequired(o['minReady'], total),
    readiness,
    consecutive: readiness.consecutive ?? 1,
    notFound,
    notFoundGraceMs: checkMilliseconds('notFoundGraceMs', o['notFoundGraceMs'], {
      default: defaults.notFoundGraceMs,
    }),
    signal,
    onProgress: optional(checkFunction<(progress: ReadinessProgress) => void>, 'onProgress', o['onProgress']),
    now,
    random,
    scheduler,
  };
}
