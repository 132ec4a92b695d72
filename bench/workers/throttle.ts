/**
 * One deployment pipeline of benchmark 5 (c): its own process, its own core client (its own
 * AccessKey of the shared account), one wait. Messages: `run {config}` → `ready` once the client
 * is made; then `start {startAt}` (epoch ms; sent once every pipeline is ready, so that a slow
 * process start does not spread the starts) → `done {result}` once the wait settles.
 */
import { createEcsClient } from '@cloud-assistant-gate/core';
import { waitForCloudAssistant } from '@cloud-assistant-gate/waiter';
import { serve } from '../lib/proc.js';
import { type ScaledClientOptions, traced, warmUp } from '../lib/throttle-client.js';

export interface PipelineConfig {
  readonly url: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly accessKeySecret: string };
  readonly ids: readonly string[];
  /** The client's time constants, compressed like the quota window. */
  readonly client: ScaledClientOptions;
  /** Tell the client the quota is window-shaped (`rateLimit.longHoldMs: Infinity`: no test call). */
  readonly trustWindows: boolean;
  /** AccessKey of an account of its own, for the warm-up. */
  readonly warmUpCredentials: { readonly accessKeyId: string; readonly accessKeySecret: string };
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

let start: (startAt: number) => void = () => {};
const started = new Promise<number>((resolve) => {
  start = resolve;
});

serve(async (msg, reply) => {
  if (msg.type === 'start') {
    start(msg['startAt'] as number);
    return;
  }
  if (msg.type !== 'run') return;
  const c = msg['config'] as PipelineConfig;
  await warmUp({ region: c.region, endpoint: c.url, credentials: c.warmUpCredentials }, c.ids);
  const client = createEcsClient({
    region: c.region,
    endpoint: c.url,
    credentials: c.credentials,
    ...c.client,
    rateLimit: c.trustWindows
      ? { ...c.client.rateLimit, longHoldMs: Number.POSITIVE_INFINITY }
      : c.client.rateLimit,
  });
  reply({ type: 'ready' });
  const startAt = await started;
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  const startedAt = Date.now();
  let result: PipelineResult;
  try {
    const trace: string[] = [];
    const source = traced(client, startAt, trace);
    const report = await waitForCloudAssistant(c.ids, { client: source, ...c.wait });
    if (trace.length > 0)
      console.error(`TRACE ${c.credentials.accessKeyId} start ${startedAt - startAt}\n${trace.join('\n')}`);
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
