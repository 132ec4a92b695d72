/**
 * `startEcsSimulator`'s option checks and defaults: every option a scenario or the caller gives
 * is checked here, before anything starts, with core's option checker, so a refused option is an
 * `OptionTypeError`/`OptionRangeError`/`UnknownOptionError` with its dotted path in `option`
 * (`scenario.speed`, `faults.agentErrors.DeliveryTimeout`), as core's and the waiter's are.
 * Fleet and instance specs are checked by fleet/resolve-spec.ts when they are added (the
 * `Fleet` hooks take them too), `quota` by quota.ts and `faults` rules by faults.ts.
 */
import {
  allKeys,
  checkFunction,
  checkNumber,
  checkOneOf,
  checkOptionKeys,
  OptionRangeError,
  OptionTypeError,
} from '@cloud-assistant-gate/core/options';
import type { NotFoundMode } from './actions/context.js';
import { actions } from './actions/index.js';
import { AGENT_ERROR_CODES, type AgentErrorCode } from './fleet/spec.js';
import { type QuotaOptions, validateQuota } from './quota.js';
import type { ReportTimes, Scenario, SimulatorOptions } from './scenario.js';
import { DEFAULT_ACCOUNT_ID, type SimulatorCredential } from './verify.js';

/** The AccessKeys accepted when a scenario names none. */
export const DEFAULT_CREDENTIALS: readonly SimulatorCredential[] = [
  { accessKeyId: 'testid', accessKeySecret: 'testsecret', accountId: DEFAULT_ACCOUNT_ID },
  {
    accessKeyId: 'STS.testid',
    accessKeySecret: 'stssecret',
    securityToken: 'sim-sts-token',
    accountId: DEFAULT_ACCOUNT_ID,
  },
];

/** The defaults the `Scenario` and `SimulatorOptions` docs state. */
export const DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  region: 'cn-hangzhou',
  seed: 1,
  speed: 1,
  notFoundMode: 'error' as NotFoundMode,
  timestampSkewMs: 15 * 60_000,
  nonceWindowMs: 31 * 60_000,
  commandDurationMs: 2000,
  deliveryWindowMs: 60_000,
  fileTransferMs: 1000,
  maxNonces: 1_000_000,
} as const;

/** Every key of {@link Scenario}; any other is refused, naming the closest. */
const SCENARIO_KEYS = allKeys<Scenario>()([
  'seed',
  'region',
  'regions',
  'speed',
  'startTime',
  'reportTimes',
  'notFoundMode',
  'timestampSkewMs',
  'nonceWindowMs',
  'commandDurationMs',
  'deliveryWindowMs',
  'fileTransferMs',
  'lifecycle',
  'credentials',
  'quota',
  'fleets',
  'instances',
  'faults',
]);

const OPTION_KEYS = allKeys<SimulatorOptions>()([...SCENARIO_KEYS, 'host', 'port', 'now', 'scenario']);

/** What each list option holds, as its error says when it is not such a list. */
const LISTS = {
  instances:
    'an array of instance specs such as [{ id: "i-abc", onlineAfterMs: 30000 }]; for a number of generated instances use fleets: [{ count: 40 }]',
  fleets: 'an array of fleet specs such as [{ count: 40 }]',
  regions: 'an array of region IDs such as ["cn-hangzhou"]',
  credentials: 'an array of { accessKeyId, accessKeySecret, securityToken? }',
} as const;

/** The options with the scenario merged in, checked, and every default filled in. */
export interface ResolvedOptions {
  /** The options as given over the scenario's (the fields read as they are: specs, faults, …). */
  readonly merged: SimulatorOptions;
  readonly region: string;
  /** Every region the API accepts, the main one first when it was not listed. */
  readonly regions: string[];
  readonly notFoundMode: NotFoundMode;
  readonly timestampSkewMs: number;
  readonly host: string;
  readonly port: number;
  readonly now: () => number;
  readonly seed: string | number;
  readonly speed: number;
  readonly credentials: readonly SimulatorCredential[];
  readonly quota: Required<QuotaOptions> | undefined;
  readonly reportTimes: ReportTimes;
  readonly commandDurationMs: number;
  readonly deliveryWindowMs: number;
  readonly fileTransferMs: number;
  readonly agentErrors: Readonly<Partial<Record<AgentErrorCode, number>>> | undefined;
}

/**
 * Checks `startEcsSimulator`'s options and fills in the defaults; the first problem found is
 * thrown (in the order below, which is the order of the checks before this module existed).
 */
export function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  checkShape(options);
  const o: SimulatorOptions = { ...options.scenario, ...stripUndefined(options) };
  const regions = [...(o.regions ?? [o.region ?? DEFAULTS.region])];
  const region = o.region ?? regions[0] ?? DEFAULTS.region;
  if (!regions.includes(region)) regions.unshift(region);
  const notFoundMode = checkNotFoundMode(o.notFoundMode ?? DEFAULTS.notFoundMode);
  const timestampSkewMs = checkNumber('timestampSkewMs', o.timestampSkewMs, {
    min: 0,
    expected: 'a number of ms ≥ 0',
    default: DEFAULTS.timestampSkewMs,
  });
  const quota = o.quota === undefined ? undefined : validateQuota(o.quota, actions.keys());
  const reportTimes = checkOneOf('reportTimes', o.reportTimes, ['simulated', 'wall'], {
    default: 'simulated',
  });
  const simulatedMs = (option: keyof Scenario, value: number | undefined, fallback: number) =>
    checkNumber(option, value, {
      min: 0,
      max: Number.MAX_VALUE,
      expected: 'a number of ms ≥ 0',
      default: fallback,
    });
  const commandDurationMs = simulatedMs('commandDurationMs', o.commandDurationMs, DEFAULTS.commandDurationMs);
  const deliveryWindowMs = simulatedMs('deliveryWindowMs', o.deliveryWindowMs, DEFAULTS.deliveryWindowMs);
  const fileTransferMs = simulatedMs('fileTransferMs', o.fileTransferMs, DEFAULTS.fileTransferMs);
  const agentErrors = o.faults?.agentErrors;
  if (agentErrors !== undefined) checkAgentErrors(agentErrors);
  return {
    merged: o,
    region,
    regions,
    notFoundMode,
    timestampSkewMs,
    host: o.host ?? DEFAULTS.host,
    port: o.port ?? DEFAULTS.port,
    now: checkFunction<() => number>('now', o.now, { default: Date.now }),
    seed: o.seed ?? DEFAULTS.seed,
    speed: checkNumber('speed', o.speed, {
      min: 0,
      max: Number.MAX_VALUE,
      expected: 'a finite number ≥ 0 (simulated ms per wall ms: 60 runs a minute in a second)',
      default: DEFAULTS.speed,
    }),
    credentials: o.credentials ?? DEFAULT_CREDENTIALS,
    quota,
    reportTimes,
    commandDurationMs,
    deliveryWindowMs,
    fileTransferMs,
    agentErrors,
  };
}

/** `notFoundMode`, at start or set later on the running simulator. */
export function checkNotFoundMode(value: unknown): NotFoundMode {
  return checkOneOf('notFoundMode', value, ['error', 'omit']);
}

/** Refuses keys nobody reads and lists that are not lists, before anything starts. */
function checkShape(options: SimulatorOptions): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const got = JSON.stringify(options);
    throw new OptionTypeError('options', () => `Expected the simulator options to be an object, got ${got}`);
  }
  checkOptionKeys(options, OPTION_KEYS, 'startEcsSimulator');
  const scenario = options.scenario;
  if (scenario !== undefined) {
    if (typeof scenario !== 'object' || scenario === null || Array.isArray(scenario)) {
      const got = JSON.stringify(scenario);
      throw new OptionTypeError(
        'scenario',
        (name) => `Expected option \`${name('scenario')}\` to be an object, got ${got}`,
      );
    }
    checkOptionKeys(scenario, SCENARIO_KEYS, 'startEcsSimulator options.scenario', 'scenario.');
  }
  for (const [source, prefix] of [
    [options, ''],
    [scenario ?? {}, 'scenario.'],
  ] as const) {
    for (const [key, expects] of Object.entries(LISTS)) {
      const value = (source as Record<string, unknown>)[key];
      if (value === undefined) continue;
      const bad = Array.isArray(value)
        ? value.findIndex((x) =>
            key === 'regions' ? typeof x !== 'string' : typeof x !== 'object' || x === null,
          )
        : -1;
      if (Array.isArray(value) && bad === -1) continue;
      // Never the value of `credentials` (it holds secrets); a short, typed picture of others.
      const got = Array.isArray(value)
        ? `an array whose item ${bad} is ${describe(value[bad], key === 'credentials')}`
        : describe(value, key === 'credentials');
      const option = `${prefix}${key}`;
      throw new OptionTypeError(
        option,
        (name) => `Expected option \`${name(option)}\` to be ${expects}, got ${got}`,
      );
    }
  }
}

/** `faults.agentErrors`: known codes (ClientNotRunning is the schedule's), shares adding up to at most 1. */
function checkAgentErrors(agentErrors: Readonly<Record<string, unknown>>): void {
  let total = 0;
  for (const [code, p] of Object.entries(agentErrors)) {
    if (!AGENT_ERROR_CODES.includes(code as AgentErrorCode)) {
      const known = AGENT_ERROR_CODES.join(', ');
      throw new OptionRangeError(
        `faults.agentErrors.${code}`,
        (name) =>
          `${name('faults.agentErrors')}: ${code} is not one of ${known} (ClientNotRunning comes from the agent's schedule)`,
      );
    }
    total += checkNumber(`faults.agentErrors.${code}`, p, {
      min: 0,
      max: 1,
      expected: 'a share between 0 and 1',
    });
  }
  if (total > 1) {
    throw new OptionRangeError(
      'faults.agentErrors',
      (name) => `${name('faults.agentErrors')}: the shares add up to ${total}, more than 1`,
    );
  }
}

function describe(value: unknown, secret: boolean): string {
  if (value === null) return 'null';
  if (secret || typeof value === 'object' || typeof value === 'function') return `a ${typeof value}`;
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `${typeof value} ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
