/** Instances of one region, in creation order, with per-OS views for the OSType filter. */
import type { SimInstance } from './instance.js';

export class RegionStore {
  readonly all: SimInstance[] = [];
  readonly byOs = new Map<string, SimInstance[]>();
  readonly byId = new Map<string, SimInstance>();
  /** Latest `visibleAt` of any instance: once the clock passes it, every instance is visible. */
  maxVisibleAt = Number.NEGATIVE_INFINITY;

  constructor(readonly name: string) {}

  add(inst: SimInstance): void {
    this.all.push(inst);
    this.byId.set(inst.id, inst);
    let list = this.byOs.get(inst.osType);
    if (list === undefined) {
      list = [];
      this.byOs.set(inst.osType, list);
    }
    list.push(inst);
    if (inst.visibleAt > this.maxVisibleAt) this.maxVisibleAt = inst.visibleAt;
  }

  remove(inst: SimInstance, at: number): void {
    inst.removed = true;
    inst.removedAt = at;
    this.byId.delete(inst.id);
    const drop = (list: SimInstance[]) => {
      const i = list.indexOf(inst);
      if (i >= 0) list.splice(i, 1);
    };
    drop(this.all);
    const osList = this.byOs.get(inst.osType);
    if (osList) drop(osList);
  }

  /** Whether every instance in the list is visible at `t` (then paging can index directly). */
  allVisible(t: number): boolean {
    return t >= this.maxVisibleAt;
  }
}
