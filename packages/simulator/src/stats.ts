/**
 * Request counters: by action, HTTP status and API error code, plus injected faults. Benchmarks
 * and tests count API calls with these; `reset()` starts a new count.
 */

/** One counted request. `status` 0 means no HTTP response (e.g. a connection reset). */
export interface StatsEntry {
  readonly action: string;
  readonly status: number;
  /** API error code, or `''` for a success. */
  readonly code: string;
  readonly count: number;
}

export interface StatsFilter {
  readonly action?: string;
  readonly status?: number;
  readonly code?: string;
}

export interface SimulatorStats {
  /** Requests received, faults included. */
  readonly total: number;
  readonly byAction: Readonly<Record<string, number>>;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byCode: Readonly<Record<string, number>>;
  /**
   * Requests answered with a throttling error (`Throttling*`), by either model: the account
   * `quota` or the `faults.rateLimit` token bucket.
   */
  readonly throttled: number;
  /** Injected faults by kind (`latency`, `connectionReset`, `throttled` for the token bucket, …). */
  readonly faults: Readonly<Record<string, number>>;
  /** Every (action, status, code) combination seen. */
  entries(): StatsEntry[];
  /** Requests matching every given field. */
  count(filter?: StatsFilter): number;
  reset(): void;
}

export interface StatsRecorder extends SimulatorStats {
  record(action: string, status: number, code: string): void;
  fault(kind: string): void;
}

export function createStats(): StatsRecorder {
  let combos = new Map<string, { action: string; status: number; code: string; count: number }>();
  let faults: Record<string, number> = {};
  let total = 0;
  let throttled = 0;
  const sum = (key: (e: StatsEntry) => string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const e of combos.values()) out[key(e)] = (out[key(e)] ?? 0) + e.count;
    return out;
  };
  return {
    record(action, status, code) {
      total++;
      if (code.startsWith('Throttling')) throttled++;
      const key = `${action}\n${status}\n${code}`;
      const e = combos.get(key);
      if (e) e.count++;
      else combos.set(key, { action, status, code, count: 1 });
    },
    fault(kind) {
      faults[kind] = (faults[kind] ?? 0) + 1;
    },
    get total() {
      return total;
    },
    get throttled() {
      return throttled;
    },
    get byAction() {
      return sum((e) => e.action);
    },
    get byStatus() {
      return sum((e) => String(e.status));
    },
    get byCode() {
      return sum((e) => e.code);
    },
    get faults() {
      return { ...faults };
    },
    entries() {
      return [...combos.values()].map((e) => ({ ...e }));
    },
    count(filter = {}) {
      let n = 0;
      for (const e of combos.values()) {
        if (filter.action !== undefined && e.action !== filter.action) continue;
        if (filter.status !== undefined && e.status !== filter.status) continue;
        if (filter.code !== undefined && e.code !== filter.code) continue;
        n += e.count;
      }
      return n;
    },
    reset() {
      combos = new Map();
      faults = {};
      total = 0;
      throttled = 0;
    },
  };
}
