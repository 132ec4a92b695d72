/**
 * Benchmark 4 client process: one wait per region (each with its own core client), all at once,
 * against a fleet that never comes online, stopped after `rounds` rounds. Pauses are 1 ms and the
 * rate limit is lifted, so a round costs what polling costs. Reports, per round, when the slowest
 * region finished it and the process CPU at that moment, plus peak RSS.
 */
import { createEcsClient } from '@cloud-assistant-gate/core';
import { waitForCloudAssistant } from '@cloud-assistant-gate/waiter';
import { cpuMs, peakRssMb, serve } from '../lib/proc.js';

interface ScaleConfig {
  readonly url: string;
  readonly credentials: { readonly accessKeyId: string; readonly accessKeySecret: string };
  readonly regions: readonly { readonly region: string; readonly ids: readonly string[] }[];
  readonly rounds: number;
  readonly concurrency: number;
}

// Counted and reported instead of printed (the parent starts this worker with --no-warnings).
const warnings: Record<string, number> = {};
process.on('warning', (w) => {
  warnings[w.name] = (warnings[w.name] ?? 0) + 1;
});

serve(async (msg, reply) => {
  if (msg.type !== 'run') return;
  const c = msg['config'] as ScaleConfig;
  const rssBeforeMb = peakRssMb();
  const t0 = performance.now();
  const cpu0 = cpuMs();
  // ends[k] = [wall ms, cpu ms] when the last region finished round k + 1.
  const done: number[] = new Array(c.rounds).fill(0);
  const ends: [number, number][] = [];
  const heapUsedMb: number[] = [];
  await Promise.all(
    c.regions.map(async ({ region, ids }) => {
      const client = createEcsClient({
        region,
        endpoint: c.url,
        credentials: c.credentials,
        maxConcurrency: c.concurrency,
        // The request budget lifted: a round costs what polling costs (no slow start).
        rateLimit: false,
      });
      const stop = new AbortController();
      try {
        await waitForCloudAssistant(ids, {
          client,
          concurrency: c.concurrency,
          minDelayMs: 1,
          maxDelayMs: 1,
          timeoutMs: 3_600_000,
          signal: stop.signal,
          onProgress: (p) => {
            const k = p.round - 1;
            if (k >= c.rounds) return;
            done[k]!++;
            if (done[k] === c.regions.length) {
              ends[k] = [performance.now() - t0, cpuMs() - cpu0];
              heapUsedMb[k] = process.memoryUsage().heapUsed / 2 ** 20;
            }
            if (p.round >= c.rounds) stop.abort(new Error('enough rounds'));
          },
        });
      } catch (e) {
        if (!stop.signal.aborted) throw e;
      } finally {
        await client.close();
      }
    }),
  );
  reply({ type: 'result', ends, heapUsedMb, rssBeforeMb, peakRssMb: peakRssMb(), warnings });
});
