/**
 * Creating instances from fleet and instance specs: the seeded draws of IDs, OS, agent version,
 * appearance delay, first heartbeat, flapping runs and the boot to `Running`. Every draw comes
 * from the fleet's stream in a fixed order, and lifecycle draws from a stream of their own, so a
 * seed gives the same fleet as it always did.
 */
import type { SimulatedClock } from '../clock.js';
import { sample } from '../distribution.js';
import type { Prng } from '../prng.js';
import type { Fleet } from './fleet.js';
import { newInstanceId } from './ids.js';
import { SimInstance } from './instance.js';
import type { FleetRegistry } from './registry.js';
import { resolveFleetSpec, resolveInstanceSpec } from './resolve-spec.js';
import type { Lifecycle } from './spec.js';
import { DEFAULT_VERSION, OLD_VERSION } from './versions.js';

/** Draws one lifecycle duration of `inst` (from the lifecycle stream). */
export type LifecycleDraw = (inst: SimInstance, key: keyof Lifecycle) => number;

export function createPopulator(deps: {
  readonly registry: FleetRegistry;
  readonly clock: SimulatedClock;
  readonly rng: Prng;
  readonly lifeRng: Prng;
  readonly draw: LifecycleDraw;
  readonly baseLifecycle: Lifecycle;
}): Pick<Fleet, 'addInstances' | 'addInstance'> {
  const { registry, clock, rng, lifeRng, draw, baseLifecycle } = deps;
  const newId = (region: string, managed: boolean) =>
    newInstanceId(region, managed, rng, (id) => registry.byId.has(id));

  return {
    addInstances(input) {
      const region = registry.store(input.region).name;
      const spec = resolveFleetSpec(input, baseLifecycle);
      const created = clock.now() - spec.ageMs;
      const ids: string[] = [];
      for (let i = 0; i < spec.count; i++) {
        const osType = spec.pickOs(rng);
        const managed = rng.next() < spec.managedShare;
        const id = spec.ids?.[i] ?? newId(region, managed);
        const appear = spec.appearAfterMs ? sample(spec.appearAfterMs, rng) : 0;
        const version = rng.next() < spec.oldAgentShare ? OLD_VERSION[osType] : DEFAULT_VERSION[osType];
        const inst = new SimInstance(
          id,
          region,
          osType,
          created,
          created + appear,
          version,
          Math.floor(rng.next() * 6),
        );
        inst.lifecycle = spec.lifecycle;
        inst.osName = spec.osName;
        if (rng.next() >= spec.neverOnlineShare) {
          inst.installedFrom(created);
          let at = created + sample(spec.bootMs, rng);
          if (rng.next() < spec.flappingShare) {
            const { upMs, downMs, cycles, stayDown } = spec.flapping;
            for (let c = 0; c < cycles; c++) {
              const up = sample(upMs, rng);
              inst.runs.push(at, at + up);
              at += up + sample(downMs, rng);
            }
            if (!stayDown) inst.runs.push(at, Number.POSITIVE_INFINITY);
          } else {
            inst.runs.push(at, Number.POSITIVE_INFINITY);
          }
        }
        // Drawn from the lifecycle stream only when asked for, so older scenarios keep their draws.
        const stopped = spec.stoppedShare > 0 && lifeRng.next() < spec.stoppedShare;
        if (stopped) inst.runs.clear();
        const firstBeat = inst.runs.first() ?? Number.POSITIVE_INFINITY;
        inst.power.init(created, Math.min(firstBeat, created + draw(inst, 'runningAfterMs')), stopped);
        registry.insert(inst);
        ids.push(id);
      }
      return ids;
    },

    addInstance(input = {}) {
      const region = registry.store(input.region).name;
      const spec = resolveInstanceSpec(input, baseLifecycle);
      const now = clock.now();
      const id = input.id ?? newId(region, input.managed ?? false);
      const inst = new SimInstance(
        id,
        region,
        spec.osType,
        now,
        now + (input.appearAfterMs ?? 0),
        input.agentVersion ?? DEFAULT_VERSION[spec.osType],
        Math.floor(rng.next() * 6),
      );
      inst.lifecycle = spec.lifecycle;
      inst.osName = input.osName;
      inst.agentFault = spec.agentFault;
      const after = input.onlineAfterMs === undefined ? 0 : input.onlineAfterMs;
      if (after !== null) {
        inst.installedFrom(now);
        const end =
          input.offlineAfterMs === undefined ? Number.POSITIVE_INFINITY : now + after + input.offlineAfterMs;
        if (!input.stopped) inst.runs.push(now + after, end);
      }
      const firstBeat = inst.runs.first() ?? Number.POSITIVE_INFINITY;
      inst.power.init(now, Math.min(firstBeat, now + spec.runningAfterMs), input.stopped === true);
      registry.insert(inst);
      return id;
    },
  };
}
