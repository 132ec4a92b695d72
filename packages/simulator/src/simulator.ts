/**
 * `startEcsSimulator`: a fake ECS region on loopback (see DESIGN.md, "Contracts between the packages").
 */
import type { NotFoundMode } from './actions/context.js';
import { createSimulatedClock, type SimulatedClock } from './clock.js';
import { createFaultEngine } from './faults.js';
import { createFleet, type Fleet } from './fleet/fleet.js';
import { resolveLifecycle } from './fleet/resolve-spec.js';
import { DEFAULT_LIFECYCLE } from './fleet/spec.js';
import { InvocationStore } from './invocations.js';
import { checkNotFoundMode, DEFAULTS, resolveOptions } from './options.js';
import { createPrng } from './prng.js';
import { createQuota, type QuotaOptions, type QuotaUsageFilter, type QuotaWindowUsage } from './quota.js';
import type { ReportTimes, SimulatorOptions } from './scenario.js';
import { startServer } from './server.js';
import { createStats, type SimulatorStats } from './stats.js';
import { RequestVerifier, type SimulatorCredential } from './verify.js';

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

/**
 * Starts a simulated ECS region on loopback.
 *
 * @example
 * const sim = await startEcsSimulator({ speed: 60, fleets: [{ count: 10, bootMs: { kind: 'fixed', ms: 90_000 } }] });
 * // point a client at sim.endpoint with sim.credentials …
 * await sim.close();
 */
export async function startEcsSimulator(options: SimulatorOptions = {}): Promise<EcsSimulator> {
  const r = resolveOptions(options);
  const o = r.merged;
  const { regions, region, now, seed, credentials } = r;
  const plain = credentials.find((c) => c.securityToken === undefined);
  const sts = credentials.find((c) => c.securityToken !== undefined);

  const clock = createSimulatedClock({ startTime: o.startTime, speed: r.speed });
  const rng = createPrng(seed);
  const fleet = createFleet({
    clock,
    regions,
    rng: rng.fork('fleet'),
    reportShift: r.reportTimes === 'wall' ? (simNow) => now() - simNow : undefined,
    lifecycle: resolveLifecycle(o.lifecycle, DEFAULT_LIFECYCLE, 'lifecycle'),
  });
  for (const spec of o.fleets ?? []) fleet.addInstances(spec);
  for (const spec of o.instances ?? []) fleet.addInstance(spec);
  const stats = createStats();
  const verifier = new RequestVerifier({
    credentials,
    now,
    timestampSkewMs: r.timestampSkewMs,
    nonceWindowMs: o.nonceWindowMs ?? DEFAULTS.nonceWindowMs,
    maxNonces: DEFAULTS.maxNonces,
  });
  let mode: NotFoundMode = r.notFoundMode;
  const quota = r.quota === undefined ? undefined : createQuota(r.quota, now);
  const running = await startServer(
    {
      verifier,
      fleet,
      clock,
      invocations: new InvocationStore({
        commandDurationMs: r.commandDurationMs,
        deliveryWindowMs: r.deliveryWindowMs,
        fileTransferMs: r.fileTransferMs,
        agentErrors: r.agentErrors,
        rng: createPrng(o.faults?.seed ?? seed).fork('agent-errors'),
      }),
      faults: createFaultEngine(o.faults ?? {}, seed, now),
      quota,
      stats,
      notFoundMode: () => mode,
      regions: new Set(regions),
    },
    r.host,
    r.port,
  );
  const hostPort = `${r.host}:${running.port}`;
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
    reportTimes: r.reportTimes,
    get notFoundMode() {
      return mode;
    },
    set notFoundMode(next: NotFoundMode) {
      mode = checkNotFoundMode(next);
    },
    addCredential: (c) => verifier.addCredential(c),
    quota: r.quota,
    quotaUsage: (filter) => quota?.usage(filter) ?? [],
    close: () => running.close(),
  };
}
