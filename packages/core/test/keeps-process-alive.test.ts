/**
 * A call waiting out a retry delay or queued in the rate limiter must keep Node alive: idle pooled
 * sockets are unref'd by undici, so if those timers were unref'd too the process would exit with
 * the call's promise pending (exit 0 with no output, or 13 for an unsettled top-level await).
 * Runs the built package (dist/) in a child process against a loopback server in this process.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiError, echoStatus, startServer, TEST_CREDENTIALS, type TestServer } from './helpers.js';

const run = promisify(execFile);
const coreDir = fileURLToPath(new URL('..', import.meta.url));
const entry = pathToFileURL(join(coreDir, 'dist', 'index.js')).href;

let server: TestServer;
let dir: string;
beforeAll(async () => {
  // The child imports dist/: build it so that it matches the sources under test.
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', coreDir], { stdio: 'inherit' });
  server = await startServer();
  dir = await mkdtemp(join(tmpdir(), 'core-keepalive-'));
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function runScript(name: string, body: string): Promise<{ code: number; stdout: string }> {
  const file = join(dir, name);
  await writeFile(
    file,
    `import { createEcsClient } from ${JSON.stringify(entry)};\n` +
      `const credentials = ${JSON.stringify(TEST_CREDENTIALS)};\n` +
      `const endpoint = ${JSON.stringify(server.url)};\n${body}\n`,
  );
  try {
    const { stdout } = await run(process.execPath, [file], { timeout: 30_000 });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '' };
  }
}

describe('a pending call keeps the process alive', () => {
  it('while it waits to retry after Throttling (retry delay and rate limiter)', async () => {
    server.requests.length = 0;
    const throttled = apiError(400, 'Throttling.User', 'slow down', { 'x-acs-retry-after': '300' });
    server.handle(throttled, throttled, echoStatus);
    const result = await runScript(
      'throttled.mjs',
      `const client = createEcsClient({ region: 'cn-hangzhou', endpoint, credentials,
         rateLimit: { minRequestsPerSecond: 5 } });
       client.describeCloudAssistantStatus({ instanceIds: ['i-1'] }).then((r) => {
         console.log(JSON.stringify(r.instances.map((s) => s.instanceId)));
         return client.close();
       });`,
    );
    expect(result).toEqual({ code: 0, stdout: '["i-1"]\n' });
    expect(server.requests).toHaveLength(3);
  });

  it('while calls are queued in the rate limiter (top-level await)', async () => {
    server.requests.length = 0;
    server.handle(echoStatus);
    const result = await runScript(
      'queued.mjs',
      `const client = createEcsClient({ region: 'cn-hangzhou', endpoint, credentials, maxRequestsPerSecond: 4 });
       const ids = ['i-1', 'i-2', 'i-3'];
       const pages = await Promise.all(ids.map((id) => client.describeCloudAssistantStatus({ instanceIds: [id] })));
       console.log(JSON.stringify(pages.map((p) => p.instances[0].instanceId)));
       await client.close();`,
    );
    expect(result).toEqual({ code: 0, stdout: '["i-1","i-2","i-3"]\n' });
    expect(server.requests).toHaveLength(3);
  });
});

describe('the ref’d timers do not outlive the call', () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it('leaves no deadline, retry or limiter timer after the call settles', async () => {
    const { createEcsClient } = await import('../src/index.js');
    const throttled = apiError(400, 'Throttling.User', 'slow down');
    server.handle(throttled, echoStatus);
    const client = createEcsClient({
      region: 'cn-hangzhou',
      endpoint: server.url,
      credentials: TEST_CREDENTIALS,
      timeoutMs: 30_000,
      rateLimit: { minRequestsPerSecond: 20 },
    });
    const before = timers();
    const page = await client.describeCloudAssistantStatus({ instanceIds: ['i-1'] });
    expect(page.instances).toHaveLength(1);
    // The count covers every Timeout in the process, vitest's own included, and one of those
    // may expire during the call; what matters is that the call added none that outlive it.
    expect(timers()).toBeLessThanOrEqual(before);
    await client.close();
  });
});
