/**
 * One deployment pipeline of benchmark 5 (c): its own process, its own core client (its own
 * AccessKey of the shared account), one wait. Messages: `run {config}` → `ready` at once, then
 * `done {result}` once the wait settles; the wait starts at `config.startAt` (epoch ms).
 */
import { createEcsClient } from '@cloud-assistant-gate/core';
import { waitForCloudAssistant } from '@cloud-assistant-gate/waiter';
import { serve } from '../lib/proc.js';

export interface PipelineConfig {
  readonly url: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly accessKeySecret: string };
  readonly ids: readonly string[];
  /** Epoch ms at which the wait starts. */
  readonly startAt: number;
  /** The quota window the client is told (rateLimit.windowMs). */
  readonly windowMs: number;
  /** The waiter's time options, scaled like the window. */
  readonly wait: {
    readonly minDelayMs: number;
    readonly maxDelayMs: number;
    readonly pollCostMs: number;
    readonly timeoutMs: number;
  };
}

export interface PipelineResult {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly ready: readonly string[];
  readonly pending: readonly string[];
  readonly apiCalls: number;
  readonly throttledCalls: number;
  readonly error?: string;
}

serve(async (msg, reply) => {
  if (msg.type !== 'run') return;
  const c = msg['config'] as PipelineConfig;
  const client = createEcsClient({
    region: c.region,
    endpoint: c.url,
    credentials: c.credentials,
    rateLimit: { windowMs: c.windowMs },
  });
  reply({ type: 'ready' });
  await new Promise((r) => setTimeout(r, Math.max(0, c.startAt - Date.now())));
  const startedAt = Date.now();
  let result: PipelineResult;
  try {
    const report = await waitForCloudAssistant(c.ids, { client, ...c.wait });
    result = {
      startedAt,
      endedAt: Date.now(),
      ready: report.ready,
      pending: report.pending,
      apiCalls: report.apiCalls,
      throttledCalls: report.throttledCalls,
    };
  } catch (e) {
    const err = e as {
      message?: string;
      ready?: string[];
      pending?: { instanceId: string }[];
      apiCalls?: number;
      throttledCalls?: number;
    };
    result = {
      startedAt,
      endedAt: Date.now(),
      ready: err.ready ?? [],
      pending: (err.pending ?? []).map((p) => p.instanceId),
      apiCalls: err.apiCalls ?? 0,
      throttledCalls: err.throttledCalls ?? 0,
      error: String(err.message ?? e),
    };
  } finally {
    await client.close();
  }
  reply({ type: 'done', result });
});
