/**
 * `startEcsSimulator`: a fake ECS region on loopback (see DESIGN.md, "Contracts between the packages").
 */
import { allKeys, checkOptionKeys } from '@cloud-assistant-gate/core/options';
import type { NotFoundMode } from './actions/context.js';
import { actions } from './actions/index.js';
import { createSimulatedClock, type SimulatedClock } from './clock.js';
import { createFaultEngine, type FaultOptions } from './faults.js';
import {
  AGENT_ERROR_CODES,
  createFleet,
  DEFAULT_LIFECYCLE,
  type Fleet,
  type FleetSpec,
  type InstanceSpec,
  type LifecycleSpec,
  resolveLifecycle,
} from './fleet.js';
import { InvocationStore } from './invocations.js';
import { createPrng } from './prng.js';
import {
  createQuota,
  type QuotaOptions,
  type QuotaUsageFilter,
  type QuotaWindowUsage,
  validateQuota,
} from './quota.js';
import { startServer } from './server.js';
import { createStats, type SimulatorStats } from './stats.js';
import { DEFAULT_ACCOUNT_ID, RequestVerifier, type SimulatorCredential } from './verify.js';

/**
 * Everything a scenario file may say: plain JSON, the same shape for `startEcsSimulator` options
 * and for `cloud-assistant-gate-sim --scenario file.json`.
 */
export interface Scenario {
  /** Seed of every random choice (IDs, boot times, faults). @default 1 */
  readonly seed?: string | number;
  /** The main region, reported as `region`. @default "cn-hangzhou" (or the first of `regions`) */
  readonly region?: string;
  /** Regions the API accepts; others answer `RegionId.ApiNotSupported`. @default [region] */
  readonly regions?: readonly string[];
  /** Simulated ms per wall ms for the fleet clock (60 = a minute per second). @default 1 */
  readonly speed?: number;
  /** Simulated time at start (epoch ms or ISO). @default the wall clock at start */
  readonly startTime?: string | number;
  /**
   * The clock behind the times responses report (`LastHeartbeatTime`, `LastInvokedTime`, the
   * invocation times). `"simulated"`: the simulated clock itself, which runs ahead of the wall
   * clock at `speed` > 1, so a heartbeat reads as being in the future and a heartbeat-age check
   * (`maxHeartbeatAgeMs`) can never fail. `"wall"`: each response re-anchors simulated time on the
   * wall clock (`now`), so a heartbeat that is X simulated ms old is reported X ms before the wall
   * clock's now; ages, not instants, are what stay faithful (the same beat is reported at an
   * earlier instant in each later response when `speed` > 1). Both agree at speed 1 with the
   * default `startTime` until the clock is moved by hand.
   * @default "simulated"
   */
  readonly reportTimes?: ReportTimes;
  /** Unknown IDs in DescribeCloudAssistantStatus: 404 for the whole request, or left out. @default "error" */
  readonly notFoundMode?: NotFoundMode;
  /** Allowed difference between a request's timestamp and the wall clock. @default 900000 (15 min) */
  readonly timestampSkewMs?: number;
  /** How long a SignatureNonce stays used. @default 1860000 (31 min, facts §2.2) */
  readonly nonceWindowMs?: number;
  /** Simulated run time of a delivered command. @default 2000 */
  readonly commandDurationMs?: number;
  /**
   * How long (simulated ms) a command or file sent while the agent is down waits for it: if the
   * agent comes up within the window the run is delivered, otherwise it ends `Aborted` with
   * `ClientNotRunning`. UNVERIFIED: read from the documented "`Aborted`: … make sure that … the
   * command can be sent to the instance within 1 minute".
   * @default 60000
   */
  readonly deliveryWindowMs?: number;
  /** Simulated time a file transfer takes once delivered (SendFile). @default 1000 */
  readonly fileTransferMs?: number;
  /** Lifecycle timings (boot, stop, start, reboot, agent start after a boot) for every instance; fleets and instances may override. */
  readonly lifecycle?: LifecycleSpec;
  /**
   * AccessKeys accepted, each of an account (`accountId`, default `"sim-account"`).
   * @default testid/testsecret, plus STS.testid/stssecret with token "sim-sts-token", both of "sim-account"
   */
  readonly credentials?: readonly SimulatorCredential[];
  /** Groups of instances created at start. @default none */
  readonly fleets?: readonly FleetSpec[];
  /** Single instances created at start. @default none */
  readonly instances?: readonly InstanceSpec[];
  /**
   * Account quotas, ECS's documented throttling: calls per window (default one minute) per
   * account, region and action, shared by every key of the account; over it, 400
   * `Throttling.User`. ECS does not publish its numbers, so there is none by default.
   * @example { "limits": { "DescribeCloudAssistantStatus": 600, "*": 1200 } }
   * @default none (nothing is throttled)
   */
  readonly quota?: QuotaOptions;
  /** Faults, and the token-bucket rate limit (`faults.rateLimit`, not ECS's model). @default none */
  readonly faults?: FaultOptions;
}

/** Which clock the times in responses are on; see {@link Scenario.reportTimes}. */
export type ReportTimes = 'simulated' | 'wall';

export interface SimulatorOptions extends Scenario {
  /** Loopback address to listen on. @default "127.0.0.1" */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Wall clock for signature timestamps, nonces and rate limits (a test seam). @default Date.now */
  readonly now?: () => number;
  /** A scenario whose settings apply where these options say nothing. */
  readonly scenario?: Scenario;
}

export interface EcsSimulator {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Same as `url` (what our core client takes). */
  readonly endpoint: string;
  /** `127.0.0.1:PORT`, what the official SDK takes as `endpoint` with `protocol: 'http'`. */
  readonly host: string;
  readonly port: number;
  readonly region: string;
  readonly regions: readonly string[];
  /** The default test AccessKey pair. */
  readonly credentials: { readonly accessKeyId: string; readonly accessKeySecret: string };
  /** An STS AccessKey with its token, when one is configured. */
  readonly stsCredentials:
    | { readonly accessKeyId: string; readonly accessKeySecret: string; readonly securityToken: string }
    | undefined;
  readonly fleet: Fleet;
  readonly clock: SimulatedClock;
  readonly stats: SimulatorStats;
  /** Which clock response times are on (`reportTimes` option). */
  readonly reportTimes: ReportTimes;
  notFoundMode: NotFoundMode;
  /** Accepts one more AccessKey (or STS token) from now on. */
  addCredential(credential: SimulatorCredential): void;
  /** The `quota` in force (defaults filled in), or undefined when none is configured. */
  readonly quota: Required<QuotaOptions> | undefined;
  /**
   * Calls granted and throttled per (account, region, action) and quota window, oldest window
   * first; `[]` without a quota. Not cleared by `stats.reset()` (the quota's state is not).
   */
  quotaUsage(filter?: QuotaUsageFilter): QuotaWindowUsage[];
  /** Stops listening, closes every connection and clears every timer. */
  close(): Promise<void>;
}

export const DEFAULT_CREDENTIALS: readonly SimulatorCredential[] = [
  { accessKeyId: 'testid', accessKeySecret: 'testsecret', accountId: DEFAULT_ACCOUNT_ID },
  {
    accessKeyId: 'STS.testid',
    accessKeySecret: 'stssecret',
    securityToken: 'sim-sts-token',
    accountId: DEFAULT_ACCOUNT_ID,
  },
];

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

/** Refuses keys nobody reads and lists that are not lists, before anything starts. */
function checkOptions(options: SimulatorOptions): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`Expected the simulator options to be an object, got ${JSON.stringify(options)}`);
  }
  checkOptionKeys(options, OPTION_KEYS, 'startEcsSimulator');
  const scenario = options.scenario;
  if (scenario !== undefined) {
    if (typeof scenario !== 'object' || scenario === null || Array.isArray(scenario)) {
      throw new TypeError(`Expected option \`scenario\` to be an object, got ${JSON.stringify(scenario)}`);
    }
    checkOptionKeys(scenario, SCENARIO_KEYS, 'startEcsSimulator options.scenario', 'scenario.');
  }
  const lists = {
    instances:
      'an array of instance specs such as [{ id: "i-abc", onlineAfterMs: 30000 }]; for a number of generated instances use fleets: [{ count: 40 }]',
    fleets: 'an array of fleet specs such as [{ count: 40 }]',
    regions: 'an array of region IDs such as ["cn-hangzhou"]',
    credentials: 'an array of { accessKeyId, accessKeySecret, securityToken? }',
  } as const;
  for (const [source, prefix] of [
    [options, ''],
    [scenario ?? {}, 'scenario.'],
  ] as const) {
    for (const [key, expects] of Object.entries(lists)) {
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
      throw new TypeError(`Expected option \`${prefix}${key}\` to be ${expects}, got ${got}`);
    }
  }
}

function describe(value: unknown, secret: boolean): string {
  if (value === null) return 'null';
  if (secret || typeof value === 'object' || typeof value === 'function') return `a ${typeof value}`;
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `${typeof value} ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`;
}

const defaults = {
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

/**
 * Starts a simulated ECS region on loopback.
 *
 * @example
 * const sim = await startEcsSimulator({ speed: 60, fleets: [{ count: 10, bootMs: { kind: 'fixed', ms: 90_000 } }] });
 * // point a client at sim.endpoint with sim.credentials …
 * await sim.close();
 */
export async function startEcsSimulator(options: SimulatorOptions = {}): Promise<EcsSimulator> {
  checkOptions(options);
  const o: SimulatorOptions = { ...options.scenario, ...stripUndefined(options) };
  const regions = [...(o.regions ?? [o.region ?? defaults.region])];
  const region = o.region ?? regions[0] ?? defaults.region;
  if (!regions.includes(region)) regions.unshift(region);
  const notFound = o.notFoundMode ?? defaults.notFoundMode;
  if (notFound !== 'error' && notFound !== 'omit')
    throw new RangeError(`notFoundMode must be "error" or "omit", got ${notFound}`);
  const skew = o.timestampSkewMs ?? defaults.timestampSkewMs;
  if (!(skew >= 0)) throw new RangeError(`timestampSkewMs must be ≥ 0, got ${skew}`);
  const host = o.host ?? defaults.host;
  const now = o.now ?? Date.now;
  const seed = o.seed ?? defaults.seed;
  const credentials = o.credentials ?? DEFAULT_CREDENTIALS;
  const plain = credentials.find((c) => c.securityToken === undefined);
  const sts = credentials.find((c) => c.securityToken !== undefined);

  const quotaOptions = o.quota === undefined ? undefined : validateQuota(o.quota, actions.keys());
  const reportTimes = o.reportTimes ?? 'simulated';
  if (reportTimes !== 'simulated' && reportTimes !== 'wall')
    throw new RangeError(`reportTimes must be "simulated" or "wall", got ${String(reportTimes)}`);

  const nonNegative = (v: number | undefined, name: string, fallback: number): number => {
    const x = v ?? fallback;
    if (!(typeof x === 'number' && Number.isFinite(x) && x >= 0))
      throw new RangeError(`${name} must be a number of ms ≥ 0, got ${String(v)}`);
    return x;
  };
  const commandDurationMs = nonNegative(o.commandDurationMs, 'commandDurationMs', defaults.commandDurationMs);
  const deliveryWindowMs = nonNegative(o.deliveryWindowMs, 'deliveryWindowMs', defaults.deliveryWindowMs);
  const fileTransferMs = nonNegative(o.fileTransferMs, 'fileTransferMs', defaults.fileTransferMs);
  const agentErrors = o.faults?.agentErrors;
  if (agentErrors !== undefined) {
    let total = 0;
    for (const [code, p] of Object.entries(agentErrors)) {
      if (!AGENT_ERROR_CODES.includes(code as (typeof AGENT_ERROR_CODES)[number]))
        throw new RangeError(
          `faults.agentErrors: ${code} is not one of ${AGENT_ERROR_CODES.join(', ')} (ClientNotRunning comes from the agent's schedule)`,
        );
      if (!(typeof p === 'number' && p >= 0 && p <= 1))
        throw new RangeError(`faults.agentErrors.${code} must be a share between 0 and 1, got ${String(p)}`);
      total += p;
    }
    if (total > 1) throw new RangeError(`faults.agentErrors: the shares add up to ${total}, more than 1`);
  }

  const clock = createSimulatedClock({ startTime: o.startTime, speed: o.speed ?? defaults.speed });
  const rng = createPrng(seed);
  const fleet = createFleet({
    clock,
    regions,
    rng: rng.fork('fleet'),
    reportShift: reportTimes === 'wall' ? (simNow) => now() - simNow : undefined,
    lifecycle: resolveLifecycle(o.lifecycle, DEFAULT_LIFECYCLE, 'lifecycle'),
  });
  for (const spec of o.fleets ?? []) fleet.addInstances(spec);
  for (const spec of o.instances ?? []) fleet.addInstance(spec);
  const stats = createStats();
  const verifier = new RequestVerifier({
    credentials,
    now,
    timestampSkewMs: skew,
    nonceWindowMs: o.nonceWindowMs ?? defaults.nonceWindowMs,
    maxNonces: defaults.maxNonces,
  });
  let mode: NotFoundMode = notFound;
  const quota = quotaOptions === undefined ? undefined : createQuota(quotaOptions, now);
  const running = await startServer(
    {
      verifier,
      fleet,
      clock,
      invocations: new InvocationStore({
        commandDurationMs,
        deliveryWindowMs,
        fileTransferMs,
        agentErrors,
        rng: createPrng(o.faults?.seed ?? seed).fork('agent-errors'),
      }),
      faults: createFaultEngine(o.faults ?? {}, seed, now),
      quota,
      stats,
      notFoundMode: () => mode,
      regions: new Set(regions),
    },
    host,
    o.port ?? defaults.port,
  );
  const hostPort = `${host}:${running.port}`;
  const url = `http://${hostPort}`;
  return {
    url,
    endpoint: url,
    host: hostPort,
    port: running.port,
    region,
    regions,
    credentials: plain
      ? { accessKeyId: plain.accessKeyId, accessKeySecret: plain.accessKeySecret }
      : {
          accessKeyId: credentials[0]?.accessKeyId ?? '',
          accessKeySecret: credentials[0]?.accessKeySecret ?? '',
        },
    stsCredentials:
      sts?.securityToken === undefined
        ? undefined
        : {
            accessKeyId: sts.accessKeyId,
            accessKeySecret: sts.accessKeySecret,
            securityToken: sts.securityToken,
          },
    fleet,
    clock,
    stats,
    reportTimes,
    get notFoundMode() {
      return mode;
    },
    set notFoundMode(next: NotFoundMode) {
      if (next !== 'error' && next !== 'omit')
        throw new RangeError(`notFoundMode must be "error" or "omit", got ${next}`);
      mode = next;
    },
    addCredential: (c) => verifier.addCredential(c),
    quota: quotaOptions,
    quotaUsage: (filter) => quota?.usage(filter) ?? [],
    close: () => running.close(),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
