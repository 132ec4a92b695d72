/**
 * Resource hygiene: after resolve, timeout, fatal error, abort and unsubscribe nothing of ours is
 * left in `process.getActiveResourcesInfo()` (compared with a baseline taken with the simulator
 * already running); the CLI binary exits on its own; 1,000 sequential waits leave the heap flat.
 */
import { execFileSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createEcsClient, type InstanceStatus } from '@cloud-assistant-gate/core';
import { type EcsSimulator, startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { waitForCloudAssistant, watchCloudAssistant } from '@cloud-assistant-gate/waiter';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runBinary, sealedEnv } from './helpers/cli.js';
import { requestedIds, sendJson, startServer, statusBody, type TestServer } from './helpers/http.js';

const figures = { scenarios: 0, waits: 0, cliRuns: 0, heapGrowthBytes: {} as Record<string, number> };
afterAll(() => {
  console.log(`HYGIENE-FIGURES ${JSON.stringify(figures)}`);
});

function resourceCounts(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

/** Resource kinds present now beyond the baseline (multiset difference), or [] once settled. */
function excess(baseline: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [kind, n] of resourceCounts()) {
    const extra = n - (baseline.get(kind) ?? 0);
    if (extra > 0) out.push(`${kind} ×${extra}`);
  }
  return out;
}

/** Sockets close asynchronously after close(): give them a moment, then report what is left. */
async function leftover(baseline: Map<string, number>): Promise<string[]> {
  for (let i = 0; i < 50; i++) {
    const e = excess(baseline);
    if (e.length === 0) return e;
    await new Promise((r) => setTimeout(r, 20));
  }
  return excess(baseline);
}

async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}

let sim: EcsSimulator;
let ids: string[];
let neverIds: string[];
beforeAll(async () => {
  sim = await startEcsSimulator({ speed: 120, seed: 'hygiene' });
  ids = sim.fleet.addInstances({ count: 150, bootMs: { kind: 'uniform', minMs: 1_000, maxMs: 30_000 } });
  neverIds = sim.fleet.addInstances({ count: 5, neverOnlineShare: 1 });
});
afterAll(async () => {
  await sim.close();
});

const fast = { minDelayMs: 20, maxDelayMs: 100 } as const;
const viaRegion = () => ({ region: sim.region, endpoint: sim.endpoint, credentials: sim.credentials });

describe('nothing of ours is left running', () => {
  let baseline: Map<string, number>;
  afterEach(() => {
    figures.scenarios++;
  });
  beforeAll(async () => {
    // Let anything from the simulator's start settle before the baseline.
    await new Promise((r) => setTimeout(r, 50));
  });

  type Mode = 'owns its client' | 'uses a caller client, closed afterwards';
  type Source =
    | { region: string; endpoint: string; credentials: { accessKeyId: string; accessKeySecret: string } }
    | { client: ReturnType<typeof createEcsClient> };
  const wrongSecret = () => ({ accessKeyId: sim.credentials.accessKeyId, accessKeySecret: 'wrong' });
  const cases: [
    string,
    (src: Source) => Promise<unknown>,
    (r: { value?: unknown; error?: unknown }) => void,
    boolean,
  ][] = [
    [
      'after a wait resolves',
      (src) => waitForCloudAssistant(ids, { ...src, ...fast, timeoutMs: 10_000 }),
      (r) => expect(r.error).toBeUndefined(),
      false,
    ],
    [
      'after a wait times out',
      (src) => waitForCloudAssistant([...ids.slice(0, 5), ...neverIds], { ...src, ...fast, timeoutMs: 600 }),
      (r) => expect((r.error as { code?: string }).code).toBe('WAITER_TIMEOUT'),
      false,
    ],
    [
      'after a fatal error (wrong secret)',
      (src) => waitForCloudAssistant(ids, { ...src, ...fast, timeoutMs: 5000 }),
      (r) => expect((r.error as { code?: string }).code).toBe('WAITER_SOURCE_FAILED'),
      true,
    ],
    [
      'after a quorum becomes unreachable',
      (src) =>
        waitForCloudAssistant([...ids.slice(0, 3), 'i-doesnotexist1'], {
          ...src,
          ...fast,
          timeoutMs: 5000,
          notFound: 'fail',
        }),
      (r) => expect((r.error as { code?: string }).code).toBe('WAITER_QUORUM_UNREACHABLE'),
      false,
    ],
    [
      'after an abort mid-wait',
      (src) => {
        const ac = new AbortController();
        setTimeout(() => ac.abort(new Error('stop now')), 150);
        return waitForCloudAssistant([...ids, ...neverIds], {
          ...src,
          ...fast,
          timeoutMs: 10_000,
          signal: ac.signal,
        });
      },
      (r) => expect((r.error as Error).message).toBe('stop now'),
      false,
    ],
  ];
  const modes: Mode[] = ['owns its client', 'uses a caller client, closed afterwards'];
  it.each(modes.flatMap((mode) => cases.map((c) => [c[0], mode, c] as const)))(
    '%s (the wait %s)',
    async (_name, mode, [, run, check, wrong]) => {
      baseline = resourceCounts();
      const credentials = wrong ? wrongSecret() : sim.credentials;
      const client =
        mode === 'owns its client'
          ? undefined
          : createEcsClient({ region: sim.region, endpoint: sim.endpoint, credentials });
      const r = await settle(
        run(client === undefined ? { region: sim.region, endpoint: sim.endpoint, credentials } : { client }),
      );
      await client?.close();
      figures.waits++;
      check(r);
      expect(await leftover(baseline)).toEqual([]);
    },
  );

  it('after unsubscribing from watchCloudAssistant mid-wait: no timer, socket or request afterwards', async () => {
    baseline = resourceCounts();
    const events: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const sub = watchCloudAssistant([...ids, ...neverIds], {
        ...viaRegion(),
        ...fast,
        timeoutMs: 10_000,
      }).subscribe({
        next: (p) => {
          events.push(p.round);
          if (p.round === 2) {
            sub.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
    });
    const before = sim.stats.total;
    expect(await leftover(baseline)).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(sim.stats.total).toBe(before);
    expect(events).toEqual([1, 2]);
    figures.waits++;
  });
});

describe('abort, three ways', () => {
  it('an already aborted signal rejects with its reason and sends zero requests', async () => {
    const before = sim.stats.total;
    const baseline = resourceCounts();
    const ac = new AbortController();
    ac.abort(new Error('too late'));
    const r = await settle(waitForCloudAssistant(ids, { ...viaRegion(), ...fast, signal: ac.signal }));
    expect((r.error as Error).message).toBe('too late');
    expect(sim.stats.total).toBe(before);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    expect(await leftover(baseline)).toEqual([]);
    figures.waits++;
  });

  it('an abort mid-wait rejects promptly with the reason and no request follows', async () => {
    const baseline = resourceCounts();
    const ac = new AbortController();
    const p = settle(
      waitForCloudAssistant([...ids, ...neverIds], {
        ...viaRegion(),
        ...fast,
        timeoutMs: 10_000,
        signal: ac.signal,
      }),
    );
    await new Promise((r) => setTimeout(r, 200));
    const abortedAt = Date.now();
    ac.abort(new Error('cancelled'));
    const r = await p;
    expect(Date.now() - abortedAt).toBeLessThan(250);
    expect((r.error as Error).message).toBe('cancelled');
    await new Promise((res) => setTimeout(res, 50));
    const after = sim.stats.total;
    await new Promise((res) => setTimeout(res, 300));
    expect(sim.stats.total).toBe(after);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    expect(await leftover(baseline)).toEqual([]);
    figures.waits++;
  });

  it('an abort after the wait settled changes nothing: no listener, no timer left', async () => {
    const baseline = resourceCounts();
    const ac = new AbortController();
    const report = await waitForCloudAssistant(ids.slice(0, 10), {
      ...viaRegion(),
      ...fast,
      timeoutMs: 10_000,
      signal: ac.signal,
    });
    expect(report.ready).toHaveLength(10);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    const before = sim.stats.total;
    ac.abort(new Error('after'));
    expect(await leftover(baseline)).toEqual([]);
    expect(sim.stats.total).toBe(before);
    figures.waits++;
  });
});

describe('the CLI binary', () => {
  beforeAll(() => {
    execFileSync('npx', ['tsc', '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
  }, 180_000);

  const env = () =>
    sealedEnv({
      ALIBABA_CLOUD_ACCESS_KEY_ID: sim.credentials.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.credentials.accessKeySecret,
    });
  const base = () => [
    '--region',
    sim.region,
    '--endpoint',
    sim.endpoint,
    '--min-delay',
    '50ms',
    '--max-delay',
    '200ms',
  ];
  const runs: [string, () => string[], number][] = [
    ['a wait that succeeds', () => ['wait', ...base(), '--timeout', '20s', ...ids.slice(0, 20)], 0],
    ['a wait that times out', () => ['wait', ...base(), '--timeout', '1s', ...neverIds], 1],
    ['a status call', () => ['status', ...base(), '--json', ...ids.slice(0, 5)], 0],
    ['a usage error', () => ['wait', '--timeout', 'soon', 'i-abc'], 2],
  ];
  it.each(runs)('exits on its own after %s', async (_name, args, code) => {
    const run = await runBinary(args(), env(), { limitMs: 25_000 });
    figures.cliRuns++;
    expect(run.code, run.stderr).toBe(code);
  });

  it('exits on its own, with 130, after SIGINT mid-wait', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('./helpers/cli.js');
    const child = spawn(process.execPath, [BIN, 'wait', ...base(), '--timeout', '60s', ...neverIds], {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Signal only once the CLI runs (its handlers are installed before it prints anything).
    await new Promise<void>((resolve) => {
      child.stdout.once('data', () => resolve());
      child.stderr.once('data', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 10_000);
      child.on('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    figures.cliRuns++;
    expect(code).toBe(130);
  });
});

describe('memory', () => {
  let gc: () => void;
  beforeAll(() => {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  });
  const heapAfterGc = async (): Promise<number> => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    return process.memoryUsage().heapUsed;
  };

  it('1,000 sequential waits on a status function leave the heap flat', async () => {
    const source = async (batch: readonly string[]): Promise<InstanceStatus[]> =>
      batch.map((instanceId) => ({
        instanceId,
        cloudAssistantStatus: true,
        cloudAssistantVersion: '2.2.3.317',
      }));
    const list = Array.from({ length: 50 }, (_, i) => `i-mem${i}`);
    const once = () => waitForCloudAssistant(list, { client: source, ...fast, timeoutMs: 5000 });
    for (let i = 0; i < 100; i++) await once();
    const start = await heapAfterGc();
    for (let i = 0; i < 1000; i++) await once();
    const growth = (await heapAfterGc()) - start;
    figures.waits += 1100;
    figures.heapGrowthBytes['status function'] = growth;
    // A leak of one report (50 instances) per wait would be > 10 MB.
    expect(growth).toBeLessThan(2 * 1024 * 1024);
  });

  it('1,000 sequential waits through one core client against a loopback server leave the heap flat', async () => {
    let server: TestServer | undefined;
    server = await startServer((req, res) => {
      sendJson(res, 200, statusBody(requestedIds(req)));
      // Keep no history: this test measures the client, not the recorder.
      server!.requests.length = 0;
    });
    const client = createEcsClient({
      region: 'cn-hangzhou',
      endpoint: server.url,
      credentials: { accessKeyId: 'a', accessKeySecret: 'b' },
    });
    const list = Array.from({ length: 150 }, (_, i) => `i-mem${i}`);
    const once = () => waitForCloudAssistant(list, { client, ...fast, timeoutMs: 5000 });
    try {
      for (let i = 0; i < 100; i++) await once();
      const start = await heapAfterGc();
      for (let i = 0; i < 1000; i++) await once();
      const growth = (await heapAfterGc()) - start;
      figures.waits += 1100;
      figures.heapGrowthBytes['core client'] = growth;
      expect(growth).toBeLessThan(3 * 1024 * 1024);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('300 sequential waits that each create and close their own client leave the heap flat', async () => {
    const server = await startServer((req, res) => {
      sendJson(res, 200, statusBody(requestedIds(req)));
      server.requests.length = 0;
    });
    const list = Array.from({ length: 20 }, (_, i) => `i-mem${i}`);
    const once = () =>
      waitForCloudAssistant(list, {
        region: 'cn-hangzhou',
        endpoint: server.url,
        credentials: { accessKeyId: 'a', accessKeySecret: 'b' },
        ...fast,
        timeoutMs: 5000,
      });
    try {
      for (let i = 0; i < 50; i++) await once();
      const start = await heapAfterGc();
      for (let i = 0; i < 300; i++) await once();
      await new Promise((r) => setTimeout(r, 100));
      const growth = (await heapAfterGc()) - start;
      figures.waits += 350;
      figures.heapGrowthBytes['own client per wait'] = growth;
      expect(growth).toBeLessThan(3 * 1024 * 1024);
    } finally {
      await server.close();
    }
  });
});
