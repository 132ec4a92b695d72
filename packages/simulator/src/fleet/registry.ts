/**
 * Where the fleet keeps its instances: by ID, by region, and the removed ones (the latest per ID)
 * for questions about the past. The one place that says "no such instance" or "no such region".
 */
import type { SimInstance } from './instance.js';
import { RegionStore } from './region-store.js';

export class FleetRegistry {
  readonly regions = new Map<string, RegionStore>();
  readonly byId = new Map<string, SimInstance>();
  /** Removed instances by ID (the latest one per ID), for questions about the past. */
  readonly #removedById = new Map<string, SimInstance>();
  readonly #defaultRegion: string;

  constructor(regions: readonly string[]) {
    for (const r of regions) this.regions.set(r, new RegionStore(r));
    this.#defaultRegion = regions[0]!;
  }

  /** The region `name` (the first region when undefined); a RangeError naming the regions if unknown. */
  store(name: string | undefined): RegionStore {
    const r = this.regions.get(name ?? this.#defaultRegion);
    if (r === undefined) {
      throw new RangeError(
        `region ${name} is not one of the simulator's regions (${[...this.regions.keys()].join(', ')})`,
      );
    }
    return r;
  }

  /** The instance `id`; a RangeError if the fleet does not have it (now). */
  get(id: string): SimInstance {
    const inst = this.byId.get(id);
    if (inst === undefined) throw new RangeError(`no instance ${id} in the simulated fleet`);
    return inst;
  }

  /** The instance for history questions: the current one, else the last removed one. */
  history(id: string): SimInstance | undefined {
    return this.byId.get(id) ?? this.#removedById.get(id);
  }

  insert(inst: SimInstance): void {
    if (this.byId.has(inst.id)) throw new RangeError(`instance ${inst.id} already exists`);
    this.byId.set(inst.id, inst);
    this.store(inst.region).add(inst);
  }

  remove(id: string, at: number): void {
    const inst = this.get(id);
    this.byId.delete(id);
    this.#removedById.set(id, inst);
    this.store(inst.region).remove(inst, at);
  }
}
