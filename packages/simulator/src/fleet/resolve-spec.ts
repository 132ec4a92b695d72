/**
 * Checking fleet and instance specs and filling in their defaults. A spec is checked whole before
 * anything is drawn or created from it (populate.ts), so a refused spec leaves the fleet as it
 * was. Refusals are core's option errors, `option` naming the field (`managedShare`,
 * `lifecycle.stoppingMs`).
 */
import { checkInteger, checkNumber, checkOneOf, OptionRangeError } from '@cloud-assistant-gate/core/options';
import { type Distribution, validateDistribution } from '../distribution.js';
import type { Prng } from '../prng.js';
import {
  AGENT_ERROR_CODES,
  type AgentErrorCode,
  type FleetSpec,
  type InstanceSpec,
  type Lifecycle,
  type LifecycleSpec,
  OS_TYPES,
  type OsType,
} from './spec.js';

const DEFAULT_BOOT: Distribution = { kind: 'lognormal', medianMs: 45_000, sigma: 0.35, minMs: 10_000 };
const DEFAULT_FLAP_UP: Distribution = { kind: 'uniform', minMs: 30_000, maxMs: 180_000 };
const DEFAULT_FLAP_DOWN: Distribution = { kind: 'uniform', minMs: 150_000, maxMs: 300_000 };

/** `spec` over `base`, each distribution validated. */
export function resolveLifecycle(spec: LifecycleSpec | undefined, base: Lifecycle, name: string): Lifecycle {
  if (spec === undefined) return base;
  const out = { ...base, ...spec } as Lifecycle;
  for (const key of ['runningAfterMs', 'stoppingMs', 'startingMs', 'agentStartMs'] as const)
    validateDistribution(out[key], `${name}.${key}`);
  return out;
}

/** A {@link FleetSpec} checked, with every default filled in (the region is checked by the fleet). */
export interface ResolvedFleetSpec {
  readonly count: number;
  readonly ids: readonly string[] | undefined;
  readonly managedShare: number;
  readonly neverOnlineShare: number;
  readonly flappingShare: number;
  readonly oldAgentShare: number;
  readonly stoppedShare: number;
  readonly bootMs: Distribution;
  readonly appearAfterMs: Distribution | undefined;
  readonly flapping: {
    readonly upMs: Distribution;
    readonly downMs: Distribution;
    readonly cycles: number;
    readonly stayDown: boolean;
  };
  readonly lifecycle: Lifecycle;
  /** Draws one instance's OS (from `rng` only when the spec gives weights). */
  readonly pickOs: (rng: Prng) => OsType;
  readonly ageMs: number;
  readonly osName: string | undefined;
}

/** Checks a fleet spec, in the order its fields are documented, and fills in the defaults. */
export function resolveFleetSpec(spec: FleetSpec, baseLifecycle: Lifecycle): ResolvedFleetSpec {
  const count = spec.ids?.length ?? checkInteger('count', spec.count, { min: 0, default: 0 });
  const managedShare = checkShare(spec.managedShare, 'managedShare');
  const neverOnlineShare = checkShare(spec.neverOnlineShare, 'neverOnlineShare');
  const flappingShare = checkShare(spec.flappingShare, 'flappingShare');
  const oldAgentShare = checkShare(spec.oldAgentShare, 'oldAgentShare');
  const bootMs = spec.bootMs ?? DEFAULT_BOOT;
  validateDistribution(bootMs, 'bootMs');
  if (spec.appearAfterMs) validateDistribution(spec.appearAfterMs, 'appearAfterMs');
  const upMs = spec.flapping?.upMs ?? DEFAULT_FLAP_UP;
  const downMs = spec.flapping?.downMs ?? DEFAULT_FLAP_DOWN;
  validateDistribution(upMs, 'flapping.upMs');
  validateDistribution(downMs, 'flapping.downMs');
  const stoppedShare = checkShare(spec.stoppedShare, 'stoppedShare');
  const lifecycle = resolveLifecycle(spec.lifecycle, baseLifecycle, 'lifecycle');
  return {
    count,
    ids: spec.ids,
    managedShare,
    neverOnlineShare,
    flappingShare,
    oldAgentShare,
    stoppedShare,
    bootMs,
    appearAfterMs: spec.appearAfterMs || undefined,
    flapping: {
      upMs,
      downMs,
      cycles: spec.flapping?.cycles ?? 1,
      stayDown: spec.flapping?.stayDown === true,
    },
    lifecycle,
    pickOs: osPicker(spec.osType),
    ageMs: spec.ageMs ?? 0,
    osName: spec.osName,
  };
}

/** An {@link InstanceSpec}'s checked parts (the region is checked by the fleet). */
export interface ResolvedInstanceSpec {
  readonly osType: OsType;
  readonly lifecycle: Lifecycle;
  readonly agentFault: AgentErrorCode | undefined;
  readonly runningAfterMs: number;
}

export function resolveInstanceSpec(spec: InstanceSpec, baseLifecycle: Lifecycle): ResolvedInstanceSpec {
  const osType = checkOneOf('osType', spec.osType, OS_TYPES, { default: 'Linux' });
  const lifecycle = resolveLifecycle(spec.lifecycle, baseLifecycle, 'lifecycle');
  const agentFault = spec.agentFault === undefined ? undefined : checkAgentFault(spec.agentFault);
  const runningAfterMs = checkNumber('runningAfterMs', spec.runningAfterMs, {
    min: 0,
    expected: 'a number of ms ≥ 0',
    default: 0,
  });
  return { osType, lifecycle, agentFault, runningAfterMs };
}

/** An agent error code for `agentFault` (`InstanceSpec` or `fleet.setAgentFault`). */
export function checkAgentFault(code: unknown): AgentErrorCode {
  return checkOneOf('agentFault', code, AGENT_ERROR_CODES);
}

function checkShare(v: number | undefined, name: string): number {
  return checkNumber(name, v, { min: 0, max: 1, default: 0 });
}

function osPicker(spec: FleetSpec['osType']): (rng: Prng) => OsType {
  if (spec === undefined) return () => 'Linux';
  if (typeof spec === 'string') {
    const os = checkOneOf('osType', spec, OS_TYPES);
    return () => os;
  }
  const entries = OS_TYPES.map((os) => [os, spec[os] ?? 0] as const).filter(([, w]) => w > 0);
  const total = entries.reduce((a, [, w]) => a + w, 0);
  if (!(total > 0)) {
    const got = JSON.stringify(spec);
    throw new OptionRangeError(
      'osType',
      (name) => `Expected ${name('osType')} weights to include a positive weight, got ${got}.`,
    );
  }
  return (rng) => {
    let x = rng.next() * total;
    for (const [os, w] of entries) {
      x -= w;
      if (x < 0) return os;
    }
    return entries[entries.length - 1]![0];
  };
}
