/**
 * Fault injection and rate limiting. Everything is off by default; each fault is a probability
 * drawn from a seeded PRNG (so a failing run reproduces with the same seed and request order),
 * optionally limited to some actions.
 */
import { checkNumber, outOfRange } from '@cloud-assistant-gate/core/options';
import { apiErrors, type SimulatorApiError } from './errors.js';
import { createPrng, type Prng } from './prng.js';

/** A fault that fires with `probability` (0–1) on each matching request. */
export interface FaultRule {
  readonly probability: number;
  /** Only these actions; all actions when absent. */
  readonly actions?: readonly string[];
}

/** Fault and limit settings (plain JSON; part of a scenario). */
export interface FaultOptions {
  /** Seed of the fault PRNG. @default the simulator seed */
  readonly seed?: string | number;
  /**
   * A token bucket per account per action, on the wall clock. Over the limit → 400 `Throttling.User`.
   * Not how ECS throttles (it counts calls per account, region and API in one-minute windows: use
   * the top-level `quota` option for that); kept as a fault for clients that want a smooth limit.
   * The keys of one account (`SimulatorCredential.accountId`) share their buckets.
   * @default off
   */
  readonly rateLimit?: {
    readonly ratePerSecond: number;
    /** Bucket size. @default max(1, ratePerSecond) */
    readonly burst?: number;
    /** Send `x-acs-retry-after` (ms until a token is available), which the TS SDK reads. @default false */
    readonly retryAfter?: boolean;
    readonly actions?: readonly string[];
  };
  /** Delay before answering: `fixedMs` plus uniform `0..jitterMs`. @default off */
  readonly latency?: {
    readonly fixedMs?: number;
    readonly jitterMs?: number;
    /** @default 1 */
    readonly probability?: number;
    readonly actions?: readonly string[];
  };
  /** 500 `InternalError.Dispatch`. */
  readonly internalError?: FaultRule;
  /** 503 `ServiceUnavailable`. */
  readonly serviceUnavailable?: FaultRule;
  /** The TCP connection is reset before any response byte. */
  readonly connectionReset?: FaultRule;
  /** An HTML 502 page from the gateway (Tengine), before the request reaches ECS. */
  readonly gateway502?: FaultRule;
  /** Headers and half the body are sent, then nothing for `stallMs` (default: until the client gives up or the simulator closes). */
  readonly stallBody?: FaultRule & { readonly stallMs?: number };
  /** A complete HTTP response whose JSON body is cut in half. */
  readonly truncatedJson?: FaultRule;
  /** A 200 whose JSON body does not match the action's schema. */
  readonly badSchema?: FaultRule;
  /**
   * Shares (0–1, seeded) of command and file deliveries that fail on the instance with each agent
   * error code, e.g. `{ "ClientNotResponse": 0.01 }` (see invocations.ts; `ClientNotRunning`
   * comes from the agent's schedule instead). Per instance: `InstanceSpec.agentFault`.
   */
  readonly agentErrors?: Readonly<
    Partial<
      Record<'ClientNotResponse' | 'ClientIsUpgrading' | 'DeliveryTimeout' | 'ClientNeedUpgrade', number>
    >
  >;
}

export type PreFault = 'connectionReset' | 'gateway502';
export type BodyFault = 'stallBody' | 'truncatedJson' | 'badSchema';

export interface Throttled {
  readonly error: SimulatorApiError;
  readonly retryAfterMs: number | undefined;
}

export interface FaultEngine {
  latencyMs(action: string): number;
  pre(action: string): PreFault | undefined;
  /** Counts one call of `accountId` against the token bucket (`faults.rateLimit`). */
  throttle(accountId: string, action: string): Throttled | undefined;
  serverError(action: string): SimulatorApiError | undefined;
  body(action: string): BodyFault | undefined;
  readonly stallMs: number | undefined;
}

const applies = (actions: readonly string[] | undefined, action: string) =>
  actions === undefined || actions.includes(action);

function checkRule(rule: FaultRule | undefined, name: string): void {
  if (rule === undefined) return;
  checkNumber(`faults.${name}.probability`, rule.probability, { min: 0, max: 1 });
}

export function createFaultEngine(
  options: FaultOptions,
  fallbackSeed: string | number,
  now: () => number,
): FaultEngine {
  for (const name of [
    'internalError',
    'serviceUnavailable',
    'connectionReset',
    'gateway502',
    'stallBody',
    'truncatedJson',
    'badSchema',
  ] as const) {
    checkRule(options[name], name);
  }
  const rl = options.rateLimit;
  if (rl !== undefined && !(rl.ratePerSecond > 0)) {
    throw outOfRange('faults.rateLimit.ratePerSecond', 'a number > 0', rl.ratePerSecond);
  }
  const rng: Prng = createPrng(options.seed ?? fallbackSeed).fork('faults');
  const fires = (rule: FaultRule | undefined, action: string): boolean =>
    rule !== undefined &&
    rule.probability > 0 &&
    applies(rule.actions, action) &&
    rng.next() < rule.probability;

  const buckets = new Map<string, { tokens: number; at: number }>();
  const burst = rl ? (rl.burst ?? Math.max(1, rl.ratePerSecond)) : 0;
  const perMs = rl ? rl.ratePerSecond / 1000 : 0;

  return {
    latencyMs(action) {
      const l = options.latency;
      if (l === undefined || !applies(l.actions, action)) return 0;
      if ((l.probability ?? 1) < 1 && rng.next() >= (l.probability ?? 1)) return 0;
      return (l.fixedMs ?? 0) + (l.jitterMs ? rng.next() * l.jitterMs : 0);
    },
    pre(action) {
      if (fires(options.connectionReset, action)) return 'connectionReset';
      if (fires(options.gateway502, action)) return 'gateway502';
      return undefined;
    },
    throttle(accountId, action) {
      if (rl === undefined || !applies(rl.actions, action)) return undefined;
      const key = `${accountId}\n${action}`;
      const t = now();
      let b = buckets.get(key);
      if (b === undefined) {
        b = { tokens: burst, at: t };
        buckets.set(key, b);
      }
      b.tokens = Math.min(burst, b.tokens + (t - b.at) * perMs);
      b.at = t;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return undefined;
      }
      return {
        error: apiErrors.throttlingUser(),
        retryAfterMs: rl.retryAfter ? Math.max(1, Math.ceil((1 - b.tokens) / perMs)) : undefined,
      };
    },
    serverError(action) {
      if (fires(options.internalError, action)) return apiErrors.internalErrorDispatch();
      if (fires(options.serviceUnavailable, action)) return apiErrors.serviceUnavailable();
      return undefined;
    },
    body(action) {
      if (fires(options.stallBody, action)) return 'stallBody';
      if (fires(options.truncatedJson, action)) return 'truncatedJson';
      if (fires(options.badSchema, action)) return 'badSchema';
      return undefined;
    },
    stallMs: options.stallBody?.stallMs,
  };
}
