/**
 * The three DescribeCloudAssistantStatus clients compared in benchmark 1 (the official SDK is also
 * the naive loop of benchmark 2). Each kind lives in its own module and is imported lazily, so a
 * process measuring one client loads only that client's code (peak RSS compares like with like).
 */
export type ClientKind = 'core' | 'sdk' | 'floor';

export interface Target {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly accessKeySecret: string };
}

export interface BenchClient {
  /** One call; resolves with the number of statuses returned, rejects on any failure. */
  describe(ids: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

export async function makeClient(kind: ClientKind, t: Target, concurrency = 16): Promise<BenchClient> {
  if (kind === 'core') return (await import('./client-core.js')).coreClient(t, concurrency);
  if (kind === 'sdk') return (await import('./client-sdk.js')).sdkClient(t);
  return (await import('./client-floor.js')).floorClient(t, concurrency);
}
