import type { EcsClient } from '@cloud-assistant-gate/core';
import { type ReadinessProgress, watchCloudAssistant } from '@cloud-assistant-gate/waiter';

export interface BootstrapOptions {
  readonly client: EcsClient;
  readonly instanceIds: readonly string[];
  /** The shell script to run on each instance as soon as its agent is online. */
  readonly command: string;
  /** Largest RunCommand batch (the API allows 100). @default 100 */
  readonly batchSize?: number;
  readonly timeoutMs?: number;
  /** Called after each polling round, for progress output. */
  readonly onRound?: (progress: ReadinessProgress, started: number) => void;
}

export interface BootstrapResult {
  /** One entry per RunCommand call: when it was sent (ms after the start) and to whom. */
  readonly batches: readonly {
    readonly atMs: number;
    readonly invokeId: string;
    readonly instanceIds: readonly string[];
  }[];
  /** Instances never ready before the timeout, with the reason. */
  readonly stragglers: readonly { readonly instanceId: string; readonly reason: string }[];
  readonly elapsedMs: number;
}

/**
 * Starts the bootstrap command on instances as they become ready, round by round, in batches,
 * instead of waiting for the slowest instance of the fleet. The watch's `newlyReady` IDs of each
 * round go out at once; a timeout does not undo the batches already sent, and the stragglers
 * come back with their reasons.
 */
export function bootstrapFleet(options: BootstrapOptions): Promise<BootstrapResult> {
  const batchSize = options.batchSize ?? 100;
  const started = Date.now();
  const batches: { atMs: number; invokeId: string; instanceIds: readonly string[] }[] = [];
  const sends: Promise<void>[] = [];
  const send = async (ids: readonly string[]): Promise<void> => {
    const atMs = Date.now() - started;
    const result = await options.client.call('RunCommand', {
      Type: 'RunShellScript',
      CommandContent: options.command,
      InstanceId: ids,
    });
    batches.push({ atMs, invokeId: String(result['InvokeId']), instanceIds: ids });
  };
  return new Promise((resolve, reject) => {
    const finish = (stragglers: BootstrapResult['stragglers']) => {
      Promise.all(sends).then(
        () => resolve({ batches, stragglers, elapsedMs: Date.now() - started }),
        reject,
      );
    };
    watchCloudAssistant(options.instanceIds, {
      client: options.client,
      timeoutMs: options.timeoutMs ?? 10 * 60_000,
    }).subscribe({
      next: (progress) => {
        options.onRound?.(progress, started);
        for (let i = 0; i < progress.newlyReady.length; i += batchSize) {
          sends.push(send(progress.newlyReady.slice(i, i + batchSize)));
        }
      },
      complete: () => finish([]),
      error: (error: unknown) => {
        const pending = (error as { pending?: { instanceId: string; reason: string }[] }).pending;
        if (pending === undefined) {
          reject(error);
          return;
        }
        finish(pending.map((p) => ({ instanceId: p.instanceId, reason: p.reason })));
      },
    });
  });
}
