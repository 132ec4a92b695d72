import type { EcsClient } from '@cloud-assistant-gate/core';
import { type InstanceRef, type ReadinessProgress, watchCloudAssistant } from '@cloud-assistant-gate/waiter';

export interface BootstrapOptions {
  /** One client per region the fleet is in (RunCommand goes to each instance's own region). */
  readonly clients: readonly EcsClient[];
  /** Bare IDs (the wait finds their region) or `region:id`. */
  readonly instanceIds: readonly InstanceRef[];
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
    readonly region: string;
    readonly invokeId: string;
    readonly instanceIds: readonly string[];
  }[];
  /** Instances never ready before the timeout, with the reason (and region, when known). */
  readonly stragglers: readonly {
    readonly instanceId: string;
    readonly region?: string | undefined;
    readonly reason: string;
  }[];
  readonly elapsedMs: number;
}

/**
 * Starts the bootstrap command on instances as they become ready, round by round, in batches,
 * instead of waiting for the slowest instance of the fleet, across regions: one wait over every
 * region (one client each), and each round's `newlyReadyInstances` go out at once to their own
 * region. A timeout does not undo the batches already sent, and the stragglers come back with
 * their reasons.
 */
export function bootstrapFleet(options: BootstrapOptions): Promise<BootstrapResult> {
  const batchSize = options.batchSize ?? 100;
  const started = Date.now();
  const byRegion = new Map(options.clients.map((c) => [c.region, c]));
  const batches: { atMs: number; region: string; invokeId: string; instanceIds: readonly string[] }[] = [];
  const sends: Promise<void>[] = [];
  const send = async (region: string, ids: readonly string[]): Promise<void> => {
    const atMs = Date.now() - started;
    const result = await byRegion.get(region)!.call('RunCommand', {
      Type: 'RunShellScript',
      CommandContent: options.command,
      InstanceId: ids,
    });
    batches.push({ atMs, region, invokeId: String(result['InvokeId']), instanceIds: ids });
  };
  return new Promise((resolve, reject) => {
    const finish = (stragglers: BootstrapResult['stragglers']) => {
      Promise.all(sends).then(
        () => resolve({ batches, stragglers, elapsedMs: Date.now() - started }),
        reject,
      );
    };
    watchCloudAssistant(options.instanceIds, {
      clients: Object.fromEntries(options.clients.map((c) => [c.region, c])),
      timeoutMs: options.timeoutMs ?? 10 * 60_000,
    }).subscribe({
      next: (progress) => {
        options.onRound?.(progress, started);
        // Every ready instance carries the region it was found in: RunCommand goes there.
        const ready = new Map<string, string[]>();
        for (const { instanceId, region } of progress.newlyReadyInstances) {
          const list = ready.get(region!);
          if (list === undefined) ready.set(region!, [instanceId]);
          else list.push(instanceId);
        }
        for (const [region, ids] of ready) {
          for (let i = 0; i < ids.length; i += batchSize)
            sends.push(send(region, ids.slice(i, i + batchSize)));
        }
      },
      complete: () => finish([]),
      error: (error: unknown) => {
        const pending = (error as { pending?: { instanceId: string; region?: string; reason: string }[] })
          .pending;
        if (pending === undefined) {
          reject(error);
          return;
        }
        finish(pending.map((p) => ({ instanceId: p.instanceId, region: p.region, reason: p.reason })));
      },
    });
  });
}
