/**
 * Benchmark 1 load generator: one client kind, `concurrency` loops each sending one
 * DescribeCloudAssistantStatus of 100 IDs after another. After `warmupMs` it announces the start
 * of the measured window (so the parent can probe the simulator's CPU at the same moments),
 * counts requests and CPU for `durationMs`, announces the end, then reports.
 */
import { type ClientKind, makeClient, type Target } from '../lib/clients.js';
import { cpuMs, peakRssMb, serve } from '../lib/proc.js';

interface LoadConfig {
  readonly kind: ClientKind;
  readonly target: Target;
  readonly ids: readonly string[];
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

serve(async (msg, reply) => {
  if (msg.type !== 'run') return;
  const c = msg['config'] as LoadConfig;
  const rssBeforeMb = peakRssMb();
  const client = await makeClient(c.kind, c.target, c.concurrency);
  const rssLoadedMb = peakRssMb();
  let phase: 'warmup' | 'measure' | 'done' = 'warmup';
  let requests = 0;
  let errors = 0;
  let statuses = 0;
  let firstError: string | undefined;
  const latencies: number[] = [];
  const loop = async () => {
    while (phase !== 'done') {
      const t0 = performance.now();
      try {
        const n = await client.describe(c.ids);
        if (phase === 'measure') {
          requests++;
          statuses += n;
          latencies.push(performance.now() - t0);
        }
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
        if (errors > 1000) phase = 'done';
      }
    }
  };
  const loops = Array.from({ length: c.concurrency }, loop);
  await new Promise((r) => setTimeout(r, c.warmupMs));
  reply({ type: 'window-start' });
  const t0 = performance.now();
  const cpu0 = cpuMs();
  phase = 'measure';
  await new Promise((r) => setTimeout(r, c.durationMs));
  const wallMs = performance.now() - t0;
  const cpu = cpuMs() - cpu0;
  const measured = requests;
  phase = 'done';
  reply({ type: 'window-end' });
  await Promise.all(loops);
  await client.close();
  latencies.sort((a, b) => a - b);
  reply({
    type: 'result',
    requests: measured,
    statusesPerRequest: measured === 0 ? 0 : statuses / requests,
    errors,
    firstError,
    wallMs,
    cpuMs: cpu,
    latencyP50Ms: latencies[Math.floor(latencies.length * 0.5)] ?? 0,
    latencyP99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
    rssBeforeMb,
    rssLoadedMb,
    peakRssMb: peakRssMb(),
  });
});
