import type { InstanceStatus } from '@cloud-assistant-gate/core';

/** What one probe of a subset returned. Fatal errors are thrown by the probe, not returned. */
export type ProbeResult =
  | { readonly kind: 'ok'; readonly statuses: readonly InstanceStatus[] }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'transient'; readonly error: unknown };

export interface BisectResult {
  /** Readings obtained along the way (for IDs that ECS knows). */
  readonly statuses: InstanceStatus[];
  /** IDs that ECS does not know, or left out of an otherwise successful response. */
  readonly missing: string[];
  /** IDs whose probe failed transiently: poll them again next round. */
  readonly unresolved: { readonly ids: readonly string[]; readonly error: unknown }[];
}

/**
 * Finds which IDs of a batch that failed with `InvalidInstance.NotFound` are unknown, by binary
 * search over prefixes: the shortest failing prefix ends with an unknown ID; the probes that
 * succeeded return the statuses of the IDs before it; the rest of the batch is then probed once
 * (and searched the same way if it fails too). One unknown ID among n costs ceil(log2 n) + 1
 * calls (8 for a full batch of 100), k unknown IDs at most k · (ceil(log2 n) + 1), instead of one
 * call per ID.
 *
 * @param knownBad the whole of `ids` is already known to fail with NotFound (it is not re-probed).
 */
export async function bisectNotFound(
  ids: readonly string[],
  probe: (ids: readonly string[]) => Promise<ProbeResult>,
  knownBad = true,
): Promise<BisectResult> {
  const out: BisectResult = { statuses: [], missing: [], unresolved: [] };
  const record = (subset: readonly string[], statuses: readonly InstanceStatus[]) => {
    const wanted = new Set(subset);
    const got = new Set<string>();
    for (const s of statuses) {
      if (wanted.has(s.instanceId) && !got.has(s.instanceId)) {
        got.add(s.instanceId);
        out.statuses.push(s);
      }
    }
    for (const id of subset) if (!got.has(id)) out.missing.push(id);
  };
  let rest = ids;
  let bad = knownBad;
  while (rest.length > 0) {
    if (!bad) {
      const result = await probe(rest);
      if (result.kind === 'ok') record(rest, result.statuses);
      else if (result.kind === 'transient') out.unresolved.push({ ids: rest, error: result.error });
      if (result.kind !== 'not-found') return out;
    }
    // Invariant: the prefix of length `lo` succeeds (trivially for 0), the one of length `hi` fails.
    let lo = 0;
    let hi = rest.length;
    let loStatuses: readonly InstanceStatus[] = [];
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const result = await probe(rest.slice(0, mid));
      if (result.kind === 'ok') {
        lo = mid;
        loStatuses = result.statuses;
      } else if (result.kind === 'not-found') {
        hi = mid;
      } else {
        record(rest.slice(0, lo), loStatuses);
        out.unresolved.push({ ids: rest.slice(lo), error: result.error });
        return out;
      }
    }
    record(rest.slice(0, lo), loStatuses);
    out.missing.push(rest[lo]!);
    rest = rest.slice(lo + 1);
    bad = false;
  }
  return out;
}
