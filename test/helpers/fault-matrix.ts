/**
 * The fault matrix: one scenario = one simulator fault (or control) × fleet size × seed. Each run
 * starts a simulator, waits on its fleet through a real core client, and returns what happened
 * together with every invariant it broke; the test file asserts the list is empty.
 */
import { createEcsClient } from '@cloud-assistant-gate/core';
import { type EcsSimulator, type FaultOptions, startEcsSimulator } from '@cloud-assistant-gate/simulator';
import {
  isCloudAssistantTimeoutError,
  isQuorumUnreachableError,
  isStatusSourceError,
  type ReadinessReport,
  waitForCloudAssistant,
} from '@cloud-assistant-gate/waiter';
import { groundTruthViolations, recordingSource } from './ground-truth.js';

export type Outcome = 'resolve' | 'timeout' | 'fatal' | 'quorum';

export interface FaultKind {
  readonly name: string;
  /** The outcome this fault must lead to. */
  readonly expect: Outcome;
  readonly faults?: (size: number) => FaultOptions;
  /** Wall offset of the simulator's signature clock (clock skew). */
  readonly skewMs?: number;
  readonly notFoundMode?: 'error' | 'omit';
  /** Unknown IDs mixed into the request, and the waiter's notFound handling. */
  readonly unknownIds?: boolean;
  readonly notFound?: 'wait' | 'fail';
  /** minReady = the known IDs only (so unknown ones do not block). */
  readonly minReadyKnown?: boolean;
  readonly flapping?: boolean;
  readonly neverOnlineShare?: number;
  readonly timeoutMs?: number;
  /**
   * A defect in another package that makes this scenario fail today (file, function, what is
   * wrong). The test marks such cases `it.fails` so they cannot pass unnoticed once fixed.
   */
  readonly knownDefect?: string;
}

/** Per-attempt timeout of the core client; latency faults sit above it. */
export const REQUEST_TIMEOUT_MS = 300;
/** Event-loop and scheduling slack on a busy 2-core machine (on top of deadline + one request). */
export const SLACK_MS = 750;
/** Simulated ms per wall ms: a 60 s boot takes half a second. */
export const SPEED = 120;

const rate = (size: number) =>
  size <= 1
    ? { ratePerSecond: 4, burst: 1 }
    : size <= 250
      ? { ratePerSecond: 12, burst: 3 }
      : { ratePerSecond: 250, burst: 40 };

export const FAULTS: readonly FaultKind[] = [
  { name: 'no fault (control)', expect: 'resolve' },
  {
    name: '5xx: InternalError.Dispatch and ServiceUnavailable',
    expect: 'resolve',
    faults: () => ({ internalError: { probability: 0.15 }, serviceUnavailable: { probability: 0.15 } }),
  },
  { name: 'throttling without retry-after', expect: 'resolve', faults: (n) => ({ rateLimit: rate(n) }) },
  {
    name: 'throttling with retry-after',
    expect: 'resolve',
    faults: (n) => ({ rateLimit: { ...rate(n), retryAfter: true } }),
  },
  { name: 'connection resets', expect: 'resolve', faults: () => ({ connectionReset: { probability: 0.3 } }) },
  {
    name: 'latency above the per-attempt timeout on some requests',
    expect: 'resolve',
    faults: () => ({ latency: { fixedMs: REQUEST_TIMEOUT_MS * 2, jitterMs: 50, probability: 0.2 } }),
  },
  {
    name: 'latency above the per-attempt timeout on every request',
    expect: 'timeout',
    timeoutMs: 1500,
    faults: () => ({ latency: { fixedMs: REQUEST_TIMEOUT_MS * 2 } }),
  },
  { name: 'a stalled body', expect: 'resolve', faults: () => ({ stallBody: { probability: 0.2 } }) },
  {
    name: 'truncated JSON',
    expect: 'resolve',
    // With one instance requests are serial, so the seeded fault sequence is fixed: 0.9 makes the
    // first request of each seed truncated, and a round still gets through.
    faults: (n) => ({ truncatedJson: { probability: n === 1 ? 0.9 : 0.35 } }),
  },
  {
    name: 'an HTML 502 from the gateway',
    expect: 'resolve',
    faults: () => ({ gateway502: { probability: 0.3 } }),
  },
  { name: 'a schema-breaking 200', expect: 'resolve', faults: () => ({ badSchema: { probability: 0.3 } }) },
  { name: 'clock skew beyond the window', expect: 'fatal', skewMs: -16 * 60_000 },
  {
    name: 'NotFound (404 mode), notFound fail, quorum of the known IDs',
    expect: 'resolve',
    notFoundMode: 'error',
    unknownIds: true,
    notFound: 'fail',
    minReadyKnown: true,
  },
  {
    name: 'NotFound (omit mode), notFound wait, quorum of the known IDs',
    expect: 'resolve',
    notFoundMode: 'omit',
    unknownIds: true,
    notFound: 'wait',
    minReadyKnown: true,
  },
  {
    name: 'NotFound (404 mode), notFound fail, all required',
    expect: 'quorum',
    notFoundMode: 'error',
    unknownIds: true,
    notFound: 'fail',
  },
  {
    name: 'NotFound (omit mode), notFound fail, all required',
    expect: 'quorum',
    notFoundMode: 'omit',
    unknownIds: true,
    notFound: 'fail',
  },
  { name: 'agents flapping online and offline', expect: 'resolve', flapping: true },
  {
    name: 'agents that never come online (control)',
    expect: 'timeout',
    neverOnlineShare: 0.1,
    timeoutMs: 1500,
  },
];

export interface ScenarioResult {
  readonly outcome: Outcome | 'other';
  readonly violations: string[];
  readonly elapsedMs: number;
  readonly requests: number;
  readonly faultsInjected: number;
  readonly readyCount: number;
  readonly detail: string;
}

function unknownId(i: number, seed: string): string {
  let h = 0;
  for (const ch of seed) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `i-zz9unknown${h.toString(36)}x${i.toString(36)}`;
}

export async function runScenario(kind: FaultKind, size: number, seed: string): Promise<ScenarioResult> {
  const violations: string[] = [];
  const skew = kind.skewMs;
  let sim: EcsSimulator | undefined;
  try {
    sim = await startEcsSimulator({
      seed,
      speed: SPEED,
      ...(kind.notFoundMode === undefined ? {} : { notFoundMode: kind.notFoundMode }),
      ...(skew === undefined ? {} : { now: () => Date.now() + skew }),
      ...(kind.faults === undefined ? {} : { faults: kind.faults(size) }),
      fleets: [
        {
          count: size,
          managedShare: 0.05,
          bootMs: { kind: 'uniform', minMs: 5_000, maxMs: 60_000 },
          // One instance: make it the one that never comes up, so the scenario means something.
          neverOnlineShare:
            size === 1 && kind.neverOnlineShare !== undefined ? 1 : (kind.neverOnlineShare ?? 0),
          ...(kind.flapping
            ? {
                flappingShare: 0.6,
                flapping: {
                  upMs: { kind: 'uniform', minMs: 10_000, maxMs: 40_000 },
                  downMs: { kind: 'uniform', minMs: 130_000, maxMs: 200_000 },
                  cycles: 2,
                },
              }
            : {}),
        },
      ],
    });
    const s = sim;
    const known = s.fleet.ids();
    const unknown = kind.unknownIds
      ? Array.from({ length: size === 1 ? 1 : Math.ceil(size / 500) }, (_, i) => unknownId(i, seed))
      : [];
    // Unknown IDs spread through the list, as a typo in a long file would be.
    const ids = [...known];
    unknown.forEach((id, i) => {
      ids.splice(Math.floor(((i + 1) * ids.length) / (unknown.length + 1)), 0, id);
    });
    const client = createEcsClient({
      region: s.region,
      endpoint: s.endpoint,
      credentials: s.credentials,
      timeoutMs: REQUEST_TIMEOUT_MS,
      maxConcurrency: 16,
      retry: {
        maxAttempts: 3,
        baseDelayMs: 10,
        throttlingBaseDelayMs: 20,
        maxDelayMs: 100,
        maxRetryAfterMs: 300,
        maxTotalMs: 1500,
      },
    });
    const rec = recordingSource(s, client.statusSource);
    const timeoutMs = kind.timeoutMs ?? 12_000;
    const started = Date.now();
    let report: ReadinessReport | undefined;
    let error: unknown;
    try {
      report = await waitForCloudAssistant(ids, {
        client: rec.source,
        timeoutMs,
        minDelayMs: 30,
        maxDelayMs: 200,
        concurrency: 8,
        maxRequestsPerSecond: 5000,
        notFound: kind.notFound ?? 'wait',
        notFoundGraceMs: 300,
        ...(kind.minReadyKnown ? { minReady: known.length } : {}),
        // Flapping agents must be seen online twice in a row.
        ...(kind.flapping ? { readiness: { consecutive: 2 } } : {}),
      });
    } catch (e) {
      error = e;
    } finally {
      await client.close();
    }
    const elapsedMs = Date.now() - started;
    const bound = timeoutMs + REQUEST_TIMEOUT_MS + SLACK_MS;
    if (elapsedMs > bound)
      violations.push(`elapsed ${elapsedMs} ms > deadline + request timeout (${bound} ms)`);

    const idSet = new Set(ids);
    const exactlyOnce = (label: string, lists: readonly (readonly string[])[], mustCoverAll: boolean) => {
      const seen = new Map<string, number>();
      for (const list of lists) for (const id of list) seen.set(id, (seen.get(id) ?? 0) + 1);
      for (const [id, n] of seen) {
        if (n !== 1) violations.push(`${label}: ${id} appears ${n} times`);
        if (!idSet.has(id)) violations.push(`${label}: ${id} was never requested`);
      }
      if (mustCoverAll) {
        const missing = ids.filter((id) => !seen.has(id));
        if (missing.length > 0)
          violations.push(`${label}: ${missing.length} requested IDs missing, e.g. ${missing.slice(0, 3)}`);
      }
    };

    let outcome: ScenarioResult['outcome'];
    let readyList: { instanceId: string; readyAtMs?: number }[] = [];
    let detail = '';
    if (report !== undefined) {
      outcome = 'resolve';
      exactlyOnce('report.instances', [report.instances.map((i) => i.instanceId)], true);
      exactlyOnce('report ready/pending/notFound', [report.ready, report.pending, report.notFound], true);
      readyList = report.instances
        .filter((i) => i.ready)
        .map((i) => ({
          instanceId: i.instanceId,
          ...(i.readyAt === undefined ? {} : { readyAtMs: Date.parse(i.readyAt) }),
        }));
      if (readyList.length !== report.ready.length)
        violations.push('report.ready disagrees with instances[].ready');
      if (report.ready.length < report.required) violations.push('resolved below the required count');
      for (const id of unknown)
        if (report.ready.includes(id)) violations.push(`unknown ${id} reported ready`);
      detail = `${report.ready.length}/${report.total} ready, ${report.rounds} rounds, ${report.apiCalls} calls`;
    } else if (isCloudAssistantTimeoutError(error)) {
      outcome = 'timeout';
      exactlyOnce('timeout ready/pending', [error.ready, error.pending.map((p) => p.instanceId)], true);
      readyList = error.ready.map((instanceId) => ({ instanceId }));
      if (kind.neverOnlineShare !== undefined) {
        const never = known.filter((id) => s.fleet.onlineAt(id) === undefined);
        const pending = error.pending.map((p) => p.instanceId);
        if (never.some((id) => !pending.includes(id)))
          violations.push('an agent that never came up is not pending');
        for (const p of error.pending) {
          if (
            s.fleet.onlineAt(p.instanceId) === undefined &&
            p.reason !== 'no-heartbeat-yet' &&
            p.reason !== 'agent-offline'
          )
            violations.push(`${p.instanceId} pending with reason ${p.reason}, expected no-heartbeat-yet`);
        }
      }
      detail = `timeout: ${error.ready.length} ready, ${error.pending.length} pending (${error.pending[0]?.reason})`;
    } else if (isQuorumUnreachableError(error)) {
      outcome = 'quorum';
      exactlyOnce(
        'quorum ready/pending/unreachable',
        [error.ready, error.pending.map((p) => p.instanceId), error.unreachable.map((p) => p.instanceId)],
        true,
      );
      readyList = error.ready.map((instanceId) => ({ instanceId }));
      for (const u of error.unreachable)
        if (!unknown.includes(u.instanceId)) violations.push(`known ${u.instanceId} called unreachable`);
      detail = `quorum unreachable: ${error.unreachable.length} unreachable, ${error.ready.length} ready`;
    } else if (isStatusSourceError(error)) {
      outcome = 'fatal';
      // A fatal error lists only the ready IDs (it has no pending list): check those.
      exactlyOnce('fatal ready', [error.ready], false);
      readyList = error.ready.map((instanceId) => ({ instanceId }));
      detail = `fatal: ${error.apiCode ?? error.causeCode}`;
      if (skew !== undefined && error.apiCode !== 'InvalidTimeStamp.Expired')
        violations.push(`clock skew gave ${error.apiCode}, expected InvalidTimeStamp.Expired`);
    } else {
      outcome = 'other';
      detail = `unexpected rejection: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    }
    if (outcome !== kind.expect) violations.push(`outcome ${outcome}, expected ${kind.expect} (${detail})`);
    violations.push(...groundTruthViolations(s, rec.calls, readyList));
    const injected = Object.values(s.stats.faults).reduce((a, b) => a + b, 0);
    return {
      outcome,
      violations,
      elapsedMs,
      requests: s.stats.total,
      faultsInjected: injected,
      readyCount: readyList.length,
      detail,
    };
  } finally {
    await sim?.close();
  }
}
