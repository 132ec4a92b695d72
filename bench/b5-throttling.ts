/**
 * Benchmark 5: throttling, against both throttling models of the simulator, in real time.
 *
 * - **Account quota** (the simulator's default model, ECS's documented one): a fixed number of
 *   DescribeCloudAssistantStatus calls per window, per account and region, shared by every key
 *   and client of the account, with no `x-acs-retry-after`. ECS's windows are one minute long;
 *   here everything is compressed 60×: 1 s windows, the limit per window kept (20 per window
 *   stands for 20 per minute), the waiter's delays (2–20 s → 33–333 ms, timeout 10 min → 10 s),
 *   the pipelines' start spread (1 s → 17 ms) and the core client's time constants
 *   (lib/throttle-client.ts: the window, whose fractions the budget's jitter, long-hold test and
 *   rate floor are; the retry delays and `maxTotalMs`) scaled alike. Round trips are not
 *   compressed, nor is the slow start, which is measured in them. Every process warms up first.
 * - **Token bucket** (`faults.rateLimit`, not ECS's model): 20 req/s, burst 20, per account: the
 *   same quota as a smooth limit, with the same client and waiter settings.
 *
 * Three cases, each on a fleet that is already online, so every wait is one round of
 * ceil(N / 100) calls, bound by the quota: (a) one wait of 10,000 instances; (b) four waits of
 * 2,500 starting together on one core client; (c) eight processes (deployment pipelines), each its
 * own core client with its own AccessKey of the one account and a wait of 1,250, starting within
 * the scaled second; and, against the quota, (c′): (c) with every client told the quota is
 * window-shaped (no test call of its shape). Ideal time = calls needed ÷ quota (in windows, as
 * issue 11 defines it).
 */
import { createEcsClient } from '@cloud-assistant-gate/core';
import {
  type EcsSimulator,
  type QuotaWindowUsage,
  type SimulatorOptions,
  startEcsSimulator,
} from '@cloud-assistant-gate/simulator';
import { type ReadinessReport, waitForCloudAssistant } from '@cloud-assistant-gate/waiter';
import { startWorker, type Worker } from './lib/proc.js';
import {
  fmt,
  type RunOptions,
  ratio,
  type Section,
  seededRandom,
  type TargetCheck,
  table,
  verdict,
} from './lib/report.js';
import { scaledClientOptions, traced, warmUp } from './lib/throttle-client.js';
import type { PipelineConfig, PipelineResult } from './workers/throttle.js';

const ACTION = 'DescribeCloudAssistantStatus';
/** The compressed quota window (ECS: 60,000 ms) and the compression factor. */
const WINDOW_MS = 1_000;
const SCALE = 60_000 / WINDOW_MS;
/** The waiter's defaults, compressed like the window. */
const WAIT = {
  minDelayMs: 2_000 / SCALE,
  maxDelayMs: 20_000 / SCALE,
  pollCostMs: 40 / SCALE,
  timeoutMs: 600_000 / SCALE,
} as const;
/** "Starting within 1 s of each other", compressed. */
const START_SPREAD_MS = 1_000 / SCALE;
/** The core client's time constants, compressed alike. */
const CLIENT = scaledClientOptions(WINDOW_MS);
/** The account whose quota is measured; warm-ups use accounts of their own. */
const ACCOUNT = 'bench-account';

type Model = 'quota' | 'bucket';
/** `c2` is (c′): (c) with every client told the quota is window-shaped. */
type Case = 'a' | 'b' | 'c' | 'c2';

const CASES: Record<Case, { readonly label: string; readonly short: string; readonly waits: number }> = {
  a: { label: '(a) one wait of 10,000', short: '(a)', waits: 1 },
  b: { label: '(b) four waits of 2,500 on one client', short: '(b)', waits: 4 },
  c: { label: '(c) eight processes, each its own client and a wait of 1,250', short: '(c)', waits: 8 },
  c2: {
    label: '(c′) as (c), each client told the quota is window-shaped (`longHoldMs: Infinity`: no test call)',
    short: '(c′)',
    waits: 8,
  },
};
const PIPELINES: readonly Case[] = ['c', 'c2'];

export interface ThrottleFigures {
  readonly model: Model;
  readonly case: Case;
  readonly scenario: string;
  readonly calls: number;
  readonly needed: number;
  readonly throttled: number;
  readonly throttledShare: number;
  readonly wallMs: number;
  readonly idealMs: number;
  readonly timeVsIdeal: number;
  readonly ready: number;
  readonly accountedFor: boolean;
  /** (c): slowest wait's time ÷ fastest's, Jain's index of calls granted per second per process. */
  readonly slowestVsFastest?: number;
  readonly jain?: number;
  readonly perWait?: readonly { readonly ms: number; readonly granted: number; readonly throttled: number }[];
  /** (c): how far the first pipeline started after the planned start, and the starts' spread (ms). */
  readonly startLagMs?: number;
  readonly startSpreadMs?: number;
  /** Quota model: granted/throttled per window, in order. */
  readonly windows?: readonly { readonly granted: number; readonly throttled: number }[];
}

/** Jain's fairness index: 1 when all equal, 1/n when one has everything. */
function jain(xs: readonly number[]): number {
  const sum = xs.reduce((a, b) => a + b, 0);
  const squares = xs.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 1 : (sum * sum) / (xs.length * squares);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Just after the next window boundary of the simulator's wall clock (plus `leadMs` at least). */
function nextBoundary(leadMs: number): number {
  const t = Date.now() + leadMs;
  return Math.ceil(t / WINDOW_MS) * WINDOW_MS + 2;
}

/** Every ID reported exactly once, and only IDs that are online reported ready. */
function accounted(
  sim: EcsSimulator,
  ids: readonly string[],
  ready: readonly string[],
  pending: readonly string[],
) {
  const seen = new Set<string>();
  for (const id of [...ready, ...pending]) {
    if (seen.has(id)) return false;
    seen.add(id);
  }
  if (seen.size !== ids.length || !ids.every((id) => seen.has(id))) return false;
  return ready.every((id) => sim.fleet.isOnline(id));
}

interface Run {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly startLagMs?: number;
  readonly startSpreadMs?: number;
  readonly perWait: readonly {
    readonly ms: number;
    readonly granted: number;
    readonly throttled: number;
    readonly ready: readonly string[];
    readonly pending: readonly string[];
  }[];
}

async function runInProcess(sim: EcsSimulator, parts: readonly (readonly string[])[]) {
  const credentials = { accessKeyId: 'waits', accessKeySecret: 'waits-secret' };
  const warm = { accessKeyId: 'warm-up', accessKeySecret: 'warm-up-secret' };
  sim.addCredential({ ...credentials, accountId: ACCOUNT });
  sim.addCredential({ ...warm, accountId: 'warm-up' });
  await warmUp({ region: sim.region, endpoint: sim.url, credentials: warm }, parts[0]!);
  sim.stats.reset();
  const client = createEcsClient({ region: sim.region, endpoint: sim.url, credentials, ...CLIENT });
  try {
    await sleep(nextBoundary(0) - Date.now());
    const startedAt = Date.now();
    const trace: string[] = [];
    const source = traced(client, startedAt, trace);
    const reports: ReadinessReport[] = await Promise.all(
      parts.map((part) => waitForCloudAssistant(part, { client: source, ...WAIT })),
    );
    if (trace.length > 0) console.error(`TRACE in-process\n${trace.join('\n')}`);
    const endedAt = Date.now();
    return {
      startedAt,
      endedAt,
      perWait: reports.map((r) => ({
        ms: r.elapsedMs,
        granted: r.apiCalls - r.throttledCalls,
        throttled: r.throttledCalls,
        ready: r.ready,
        pending: r.pending,
      })),
    };
  } finally {
    await client.close();
  }
}

async function runPipelines(
  sim: EcsSimulator,
  parts: readonly (readonly string[])[],
  seed: number,
  trustWindows: boolean,
) {
  const workers: Worker[] = parts.map(() => startWorker('throttle'));
  try {
    const random = seededRandom(seed);
    const keys = parts.map((_, i) => ({
      accessKeyId: `pipeline-${i + 1}`,
      accessKeySecret: `secret-${i + 1}`,
    }));
    for (const k of keys) sim.addCredential({ ...k, accountId: ACCOUNT });
    const warm = parts.map((_, i) => ({
      accessKeyId: `warm-up-${i + 1}`,
      accessKeySecret: `warm-up-secret-${i + 1}`,
    }));
    for (const [i, k] of warm.entries()) sim.addCredential({ ...k, accountId: `warm-up-${i + 1}` });
    const offsets = parts.map(() => Math.floor(random() * START_SPREAD_MS));
    const readies = workers.map((w) => w.next('ready', 60_000));
    const dones = workers.map((w) => w.next<{ type: string; result: PipelineResult }>('done', 120_000));
    workers.forEach((w, i) => {
      const config: PipelineConfig = {
        url: sim.url,
        region: sim.region,
        credentials: keys[i]!,
        ids: parts[i]!,
        client: CLIENT,
        trustWindows,
        warmUpCredentials: warm[i]!,
        wait: WAIT,
      };
      w.child.send({ type: 'run', config });
    });
    // Every pipeline has loaded its modules, warmed up and made its client before the clock starts.
    await Promise.all(readies);
    sim.stats.reset();
    const base = nextBoundary(200);
    workers.forEach((w, i) => {
      w.child.send({ type: 'start', startAt: base + offsets[i]! });
    });
    const results = (await Promise.all(dones)).map((m) => m.result);
    const errors = results.flatMap((r) => (r.error === undefined ? [] : [r.error]));
    if (errors.length > 0) throw new Error(`bench #5 (c): ${errors.join('; ')}`);
    const starts = results.map((r) => r.startedAt);
    return {
      startedAt: Math.min(...starts),
      endedAt: Math.max(...results.map((r) => r.endedAt)),
      /** The pipelines' starts: the first's lag behind the planned start, and their spread. */
      startLagMs: Math.min(...starts) - base,
      startSpreadMs: Math.max(...starts) - Math.min(...starts),
      perWait: results.map((r) => ({
        ms: r.endedAt - r.startedAt,
        granted: r.apiCalls - r.throttledCalls,
        throttled: r.throttledCalls,
        ready: r.ready,
        pending: r.pending,
      })),
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

async function scenario(model: Model, kase: Case, count: number, limit: number): Promise<ThrottleFigures> {
  const limits: SimulatorOptions =
    model === 'quota'
      ? { quota: { limits: { [ACTION]: limit }, windowMs: WINDOW_MS } }
      : {
          faults: {
            rateLimit: { ratePerSecond: (limit * 1000) / WINDOW_MS, burst: limit, actions: [ACTION] },
          },
        };
  const sim = await startEcsSimulator({
    seed: 5,
    fleets: [{ count, bootMs: { kind: 'fixed', ms: 1_000 }, ageMs: 60_000 }],
    ...limits,
  });
  try {
    const ids = sim.fleet.ids();
    const { waits } = CASES[kase];
    const parts = Array.from({ length: waits }, (_, k) => ids.filter((_, i) => i % waits === k));
    const run: Run = PIPELINES.includes(kase)
      ? await runPipelines(sim, parts, 11, kase === 'c2')
      : await runInProcess(sim, parts);
    const calls = sim.stats.count({ action: ACTION });
    const throttled = sim.stats.count({ action: ACTION, code: 'Throttling.User' });
    const needed = parts.reduce((n, p) => n + Math.ceil(p.length / 100), 0);
    const idealMs = (needed / limit) * WINDOW_MS;
    const wallMs = run.endedAt - run.startedAt;
    const ready = run.perWait.flatMap((w) => w.ready);
    const pending = run.perWait.flatMap((w) => w.pending);
    const times = run.perWait.map((w) => w.ms);
    const figures: ThrottleFigures = {
      model,
      case: kase,
      scenario: `${model === 'quota' ? 'quota' : 'token bucket'}: ${CASES[kase].label}`,
      calls,
      needed,
      throttled,
      throttledShare: throttled / calls,
      wallMs,
      idealMs,
      timeVsIdeal: wallMs / idealMs,
      ready: ready.length,
      accountedFor: accounted(sim, ids, ready, pending),
      perWait: run.perWait.map(({ ms, granted, throttled: t }) => ({ ms, granted, throttled: t })),
      ...(run.startSpreadMs !== undefined
        ? { startLagMs: run.startLagMs ?? 0, startSpreadMs: run.startSpreadMs }
        : {}),
      ...(PIPELINES.includes(kase)
        ? {
            slowestVsFastest: Math.max(...times) / Math.min(...times),
            jain: jain(run.perWait.map((w) => w.granted / w.ms)),
          }
        : {}),
      ...(model === 'quota'
        ? {
            windows: sim.quotaUsage({ action: ACTION, accountId: ACCOUNT }).map((u: QuotaWindowUsage) => ({
              granted: u.granted,
              throttled: u.throttled,
            })),
          }
        : {}),
    };
    return figures;
  } finally {
    await sim.close();
  }
}

function checksFor(f: ThrottleFigures): TargetCheck[] {
  const label = `${f.model === 'quota' ? 'quota' : 'token bucket'}, ${CASES[f.case].short}`;
  const share = PIPELINES.includes(f.case) ? 0.1 : 0.05;
  const checks: TargetCheck[] = [
    {
      bench: 5,
      metric: `throttled share of calls (${label})`,
      value: f.throttledShare,
      shown: `${fmt(f.throttledShare * 100, 1)} %`,
      target: `≤ ${share * 100} %`,
      met: f.throttledShare <= share,
    },
    {
      bench: 5,
      metric: `total time ÷ ideal (${label})`,
      value: f.timeVsIdeal,
      shown: ratio(f.timeVsIdeal),
      target: '≤ 1.2×',
      met: f.timeVsIdeal <= 1.2,
    },
  ];
  if (PIPELINES.includes(f.case)) {
    checks.push(
      {
        bench: 5,
        metric: `slowest ÷ fastest pipeline (${label})`,
        value: f.slowestVsFastest!,
        shown: ratio(f.slowestVsFastest!),
        target: '≤ 1.5×',
        met: f.slowestVsFastest! <= 1.5,
      },
      {
        bench: 5,
        metric: `Jain's fairness index, calls granted per second (${label})`,
        value: f.jain!,
        shown: fmt(f.jain!, 3),
        target: 'report (1 = equal)',
        met: undefined,
      },
    );
  }
  checks.push({
    bench: 5,
    metric: `no false ready, every ID accounted for (${label})`,
    value: f.accountedFor ? 1 : 0,
    shown: f.accountedFor ? `${fmt(f.ready)} ready, each ID once` : 'NO',
    target: 'yes',
    met: f.accountedFor,
  });
  return checks;
}

export async function benchThrottling(o: RunOptions): Promise<Section> {
  const count = o.size === 'full' ? 10_000 : 1_000;
  const calls = Math.ceil(count / 100);
  // One round needs five windows (20 per 1 s window = 1,200 per minute); two at the tiny size,
  // which only checks that everything runs.
  const limit = Math.max(1, Math.round(calls / (o.size === 'full' ? 5 : 2)));
  const all: ThrottleFigures[] = [];
  for (const model of ['quota', 'bucket'] as const) {
    for (const kase of ['a', 'b', 'c', 'c2'] as const) {
      // (c′) only where the quota is window-shaped.
      if (kase === 'c2' && model !== 'quota') continue;
      if (o.cases !== undefined && !o.cases.includes(`${model}:${kase}`)) continue;
      o.log(`  #5 ${model} (${kase}): ${CASES[kase].label}`);
      all.push(await scenario(model, kase, count, limit));
    }
  }
  const checks = all.flatMap(checksFor);
  const perWindow = (f: ThrottleFigures) =>
    (f.windows ?? []).map((w) => `${w.granted}/${w.throttled}`).join(', ');
  const markdown = [
    `${fmt(count)} instances already online (${calls} calls of 100 IDs for one round in all); real time. Two throttling models of the simulator, each for ${ACTION} only:`,
    '',
    `- **account quota** (the default model, ECS's documented one: calls per window per account, region and API; no \`x-acs-retry-after\`): ${limit} calls per ${fmt(WINDOW_MS)} ms window. ECS's windows are one minute; the bench compresses time ${SCALE}×: the window (${limit} calls per window stand for ${limit} per minute), the waiter's delays (minDelayMs ${fmt(WAIT.minDelayMs, 1)}, maxDelayMs ${fmt(WAIT.maxDelayMs, 1)}, pollCostMs ${fmt(WAIT.pollCostMs, 2)}, timeoutMs ${fmt(WAIT.timeoutMs)}), the pipelines' start spread (1 s → ${fmt(START_SPREAD_MS, 1)} ms) and the core client's time constants: \`rateLimit.windowMs: ${WINDOW_MS}\` (the budget's jitter, long-hold test and rate floor are fractions of it), retry delays ÷ ${SCALE} and \`retry.maxTotalMs: ${fmt(CLIENT.retry.maxTotalMs)}\` (one window). Not compressed: round trips (loopback, a few ms, where ECS takes about 80 ms of a minute, so the bench's calls are relatively slower than ECS's), the slow start (measured in round trips) and the per-attempt timeout. Every process first warms up (30 calls on an account of its own), so that cold code does not stretch its first calls over a window. Each case starts just after a window boundary.`,
    `- **token bucket** (\`faults.rateLimit\`, not ECS's model): ${(limit * 1000) / WINDOW_MS} req/s, burst ${limit}, per account (the same quota, smooth), same client and waiter settings.`,
    '',
    `Ideal = calls needed ÷ quota: (a) and (b) ${calls} ÷ ${limit} per window, (c) 8 × ${Math.ceil(count / 8 / 100)} ÷ ${limit}. (c): eight child processes, each with its own AccessKey of one account (the quota is the account's), starting at the same window boundary plus a seeded offset within ${fmt(START_SPREAD_MS, 1)} ms; time per pipeline = its own wait; Jain's index over each pipeline's calls granted per second of its wait. (c′) is (c) with each client told the quota is window-shaped (\`rateLimit.longHoldMs: Infinity\`), so that it does not test the quota's shape with one call after its first throttle.`,
    '',
    table(
      [
        'scenario',
        'calls (needed)',
        'throttled',
        'throttled share',
        'time (s)',
        'ideal (s)',
        'time ÷ ideal',
        'slowest ÷ fastest',
        'Jain',
        'ready, accounted for',
      ],
      all.map((f) => [
        f.scenario,
        `${f.calls} (${f.needed})`,
        f.throttled,
        `${fmt(f.throttledShare * 100, 1)} %`,
        fmt(f.wallMs / 1000, 2),
        fmt(f.idealMs / 1000, 2),
        ratio(f.timeVsIdeal),
        f.slowestVsFastest === undefined ? '–' : ratio(f.slowestVsFastest),
        f.jain === undefined ? '–' : fmt(f.jain, 3),
        `${fmt(f.ready)}, ${f.accountedFor ? 'yes' : 'NO'}`,
      ]),
    ),
    '',
    `Quota windows, granted/throttled per window in order: ${all
      .filter((f) => f.model === 'quota')
      .map((f) => `${CASES[f.case].short} ${perWindow(f)}`)
      .join('; ')}.`,
    '',
    `Pipelines of (c) and (c′), seconds and granted/throttled calls each: ${all
      .filter((f) => PIPELINES.includes(f.case))
      .map(
        (f) =>
          `${f.model} ${CASES[f.case].short}: ${(f.perWait ?? []).map((w) => `${fmt(w.ms / 1000, 2)} s ${w.granted}/${w.throttled}`).join(', ')} (started ${fmt(f.startLagMs ?? 0)}–${fmt((f.startLagMs ?? 0) + (f.startSpreadMs ?? 0))} ms after the planned start)`,
      )
      .join('; ')}.`,
    '',
    table(
      ['figure', 'value', 'target', ''],
      checks.map((c) => [c.metric, c.shown, c.target, c.met === undefined ? '–' : verdict(c.met)]),
    ),
  ].join('\n');
  return {
    bench: 5,
    title: 'Throttling',
    markdown,
    data: { limit, windowMs: WINDOW_MS, scale: SCALE, wait: WAIT, count, scenarios: all },
    checks,
  };
}
