import { KNOWN_REGIONS } from '@cloud-assistant-gate/core';
import type { SimulatedClock } from '../clock.js';
import { apiErrors } from '../errors.js';
import type { FleetInternals } from '../fleet/fleet.js';
import type { RegionStore } from '../fleet/region-store.js';
import type { InvocationStore } from '../invocations.js';

/** How DescribeCloudAssistantStatus treats IDs it does not know (the real behaviour is UNVERIFIED, facts §3.4). */
export type NotFoundMode = 'error' | 'omit';

export interface ActionContext {
  readonly fleet: FleetInternals;
  readonly clock: SimulatedClock;
  readonly notFoundMode: NotFoundMode;
  readonly invocations: InvocationStore;
  readonly requestId: string;
  /** Added to every simulated time the response reports: 0, or wall minus simulated time (`reportTimes: 'wall'`). */
  readonly timeShiftMs: number;
}

/** An action handler returns the full JSON response body. */
export type ActionHandler = (params: Readonly<Record<string, string>>, ctx: ActionContext) => string;

/**
 * The region a request names. Missing → 400 `MissingRegionId` (UNVERIFIED); a real Alibaba Cloud
 * region (core's list, the official SDK's endpoint map plus the public regions) this simulator
 * does not serve → 400 `RegionId.ApiNotSupported`; anything else → 404 `InvalidRegionId.NotFound`
 * (DescribeCloudAssistantStatus error table, 2024; ecs-fidelity §2). A served region is always
 * accepted, even one with a made-up name.
 */
export function requireRegion(params: Readonly<Record<string, string>>, ctx: ActionContext): RegionStore {
  const id = params.RegionId;
  if (!id) throw apiErrors.missingRegionId();
  const region = ctx.fleet.region(id);
  if (region === undefined) {
    throw KNOWN_REGIONS.has(id) ? apiErrors.regionNotSupported() : apiErrors.regionNotFound();
  }
  return region;
}

/**
 * Values of a flattened list parameter (`InstanceId.1`, `InstanceId.2`, …) ordered by N.
 */
export function listParam(params: Readonly<Record<string, string>>, name: string): readonly string[] {
  // Parameter objects of repeated queries are shared (see server.ts), so the list is too.
  let byName = listCache.get(params);
  const hit = byName?.get(name);
  if (hit !== undefined) return hit;
  const found: [number, string][] = [];
  const prefix = `${name}.`;
  for (const key in params) {
    if (!key.startsWith(prefix)) continue;
    const n = Number(key.slice(prefix.length));
    if (!Number.isInteger(n) || n < 1) continue;
    found.push([n, params[key]!]);
  }
  found.sort((a, b) => a[0] - b[0]);
  const out = new Array<string>(found.length);
  for (let i = 0; i < found.length; i++) out[i] = found[i]![1];
  if (byName === undefined) {
    byName = new Map();
    listCache.set(params, byName);
  }
  byName.set(name, out);
  return out;
}

const listCache = new WeakMap<object, Map<string, readonly string[]>>();

/** Strict decimal integer parsing for paging parameters: `undefined` when absent, NaN when malformed. */
export function intParam(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
}
