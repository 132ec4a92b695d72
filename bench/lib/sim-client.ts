/** The parent's handle on a simulator running in a child process (workers/sim.ts). */
import type { SimulatorOptions } from '@cloud-assistant-gate/simulator';
import { type Message, startWorker, type Worker } from './proc.js';

export interface RemoteSim {
  readonly url: string;
  /** `127.0.0.1:PORT`, for the official SDK. */
  readonly host: string;
  readonly region: string;
  readonly regions: readonly string[];
  readonly credentials: { readonly accessKeyId: string; readonly accessKeySecret: string };
  /** Instance IDs by region, in creation order. */
  readonly ids: Readonly<Record<string, readonly string[]>>;
  probe(): Promise<SimProbe>;
  stop(): Promise<void>;
}

export interface SimProbe {
  /** CPU used by the simulator process so far. */
  readonly cpuMs: number;
  /** Requests it has received so far. */
  readonly requests: number;
  readonly byCode: Readonly<Record<string, number>>;
  readonly rssMb: number;
}

export async function startRemoteSim(options: SimulatorOptions): Promise<RemoteSim> {
  const worker: Worker = startWorker('sim');
  try {
    const m = await worker.request<Message & Omit<RemoteSim, 'probe' | 'stop'>>(
      { type: 'start', options },
      'started',
      120_000,
    );
    return {
      url: m.url,
      host: m.host,
      region: m.region,
      regions: m.regions,
      credentials: m.credentials,
      ids: m.ids,
      probe: () => worker.request<Message & SimProbe>({ type: 'probe' }, 'probe'),
      stop: () => worker.stop(),
    };
  } catch (e) {
    await worker.stop();
    throw e;
  }
}
