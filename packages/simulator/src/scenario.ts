/**
 * What `startEcsSimulator` takes: a {@link Scenario} (plain JSON, also what
 * `cloud-assistant-gate-sim --scenario file.json` reads) and the options only code can give. The
 * checks of both are in options.ts.
 */
import type { NotFoundMode } from './actions/context.js';
import type { FaultOptions } from './faults.js';
import type { FleetSpec, InstanceSpec, LifecycleSpec } from './fleet/spec.js';
import type { QuotaOptions } from './quota.js';
import type { SimulatorCredential } from './verify.js';

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
