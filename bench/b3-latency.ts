/**
 * Benchmark 3: detection latency, from the last agent coming online to the gate resolving, over
 * many seeded runs with default options on a simulated clock. Runs go in parallel groups, each
 * with its own simulator, so the whole benchmark takes about one run's wall time per group.
 */
import { startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { defaults } from '@cloud-assistant-gate/waiter';
import { type GateRun, runGate } from './lib/gate.js';
import {
  fmt,
  mean,
  percentile,
  type RunOptions,
  type Section,
  type TargetCheck,
  table,
  verdict,
} from './lib/report.js';

export async function benchLatency(o: RunOptions): Promise<Section> {
  const full = o.size === 'full';
  const runs = full ? 24 : 4;
  const parallel = full ? 12 : 4;
  const count = full ? 100 : 20;
  const speed = 10;
  // Full size: the simulator's default boot distribution (lognormal, median 45 s, σ 0.35, ≥ 10 s).
  const bootMs = full
    ? undefined
    : ({ kind: 'lognormal', medianMs: 5_000, sigma: 0.35, minMs: 2_000 } as const);
  o.log(`  #3 ${runs} seeded runs of ${count} instances, ${parallel} at a time, simulated clock ×${speed}`);
  const results: GateRun[] = [];
  for (let first = 0; first < runs; first += parallel) {
    const group = Array.from({ length: Math.min(parallel, runs - first) }, (_, k) => first + k + 1);
    results.push(
      ...(await Promise.all(
        group.map(async (seed) => {
          const sim = await startEcsSimulator({
            seed: 300 + seed,
            speed,
            fleets: [{ count, ...(bootMs ? { bootMs } : {}) }],
          });
          try {
            return await runGate(sim, sim.fleet.ids(), seed);
          } finally {
            await sim.close();
          }
        }),
      )),
    );
  }
  const det = results.map((r) => r.detectionMs).sort((a, b) => a - b);
  const calls = results.flatMap((r) => r.callLatenciesMs).sort((a, b) => a - b);
  const p50 = percentile(det, 0.5);
  const p95 = percentile(det, 0.95);
  const callP50 = percentile(calls, 0.5);
  const callP95 = percentile(calls, 0.95);
  const limit = defaults.maxDelayMs + callP95;
  const checks: TargetCheck[] = [
    {
      bench: 3,
      metric: 'detection latency p95 (simulated)',
      value: p95 / 1000,
      shown: `${fmt(p95 / 1000, 2)} s`,
      target: `≤ maxDelayMs + one request = ${fmt(limit / 1000, 2)} s`,
      met: p95 <= limit,
    },
    {
      bench: 3,
      metric: 'detection latency p50 (simulated)',
      value: p50 / 1000,
      shown: `${fmt(p50 / 1000, 2)} s`,
      target: `well under p95 target (here: ≤ half, ${fmt(limit / 2000, 2)} s)`,
      met: p50 <= limit / 2,
    },
  ];
  const s = (ms: number) => fmt(ms / 1000, 2);
  const markdown = [
    `${runs} runs (seeds 1–${runs}) of ${count} instances each, ${full ? "the simulator's default boot distribution (lognormal, median 45 s, σ 0.35, ≥ 10 s)" : 'lognormal boots (median 5 s)'}, our waiter with default options (minDelayMs ${defaults.minDelayMs}, maxDelayMs ${defaults.maxDelayMs}), simulated clock ×${speed}, ${parallel} runs at a time. Latency = simulated time from the last agent's first heartbeat to the promise resolving.`,
    '',
    table(
      ['', 'p50', 'p95', 'mean', 'min', 'max'],
      [
        ['detection latency (s)', s(p50), s(p95), s(mean(det)), s(det[0]!), s(det[det.length - 1]!)],
        [
          'one status call (s, simulated = wall × speed)',
          s(callP50),
          s(callP95),
          s(mean(calls)),
          s(calls[0]!),
          s(calls[calls.length - 1]!),
        ],
      ],
    ),
    '',
    table(
      ['figure', 'value', 'target', ''],
      checks.map((c) => [c.metric, c.shown, c.target, verdict(c.met)]),
    ),
    '',
    `Request latency is wall latency × ${speed}, so the loopback round trip and event-loop contention between the ${parallel} parallel runs are magnified ${speed}× in simulated time; the figures are an upper bound of what a real-time run would show.`,
  ].join('\n');
  return {
    bench: 3,
    title: 'Detection latency',
    markdown,
    data: {
      runs,
      count,
      speed,
      parallel,
      detectionMs: results.map((r) => r.detectionMs),
      rounds: results.map((r) => r.rounds.length),
      apiCalls: results.map((r) => r.apiCalls),
      callLatencyMs: { p50: callP50, p95: callP95 },
    },
    checks,
  };
}
