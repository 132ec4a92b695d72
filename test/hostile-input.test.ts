/**
 * Hostile input: huge ID files, odd encodings, and IDs carrying injection attempts. Every case
 * ends with a clear error naming the offending line or with correct handling; never a crash,
 * never a request carrying the injected text unencoded (requests captured at a loopback server).
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEcsClient } from '@cloud-assistant-gate/core';
import { isInvalidInstanceIdError, waitForCloudAssistant } from '@cloud-assistant-gate/waiter';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collectIds } from '../packages/waiter/src/cli/ids.js';
import { runInProcess, sealedEnv } from './helpers/cli.js';
import {
  type CapturedRequest,
  requestedIds,
  sendJson,
  startServer,
  statusBody,
  type TestServer,
} from './helpers/http.js';

let dir: string;
let ecs: TestServer;
const figures = { inputs: 0, requestsScanned: 0, linesRead: 0 };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cag-hostile-'));
  ecs = await startServer((req, res) => sendJson(res, 200, statusBody(requestedIds(req))));
});
afterAll(async () => {
  await ecs.close();
  await rm(dir, { recursive: true, force: true });
  console.log(`HOSTILE-INPUT-FIGURES ${JSON.stringify(figures)}`);
});
afterEach(() => {
  ecs.requests.length = 0;
});

const env = () =>
  sealedEnv({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'test-id', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'test-secret-value' });
const endpointArgs = () => [
  '--region',
  'cn-hangzhou',
  '--endpoint',
  ecs.url,
  '--timeout',
  '5s',
  '--min-delay',
  '50ms',
];

const INJECTIONS = [
  'i-abc&Action=DeleteInstance',
  'i-abc%26Action%3DDeleteInstance',
  'i-abc;rm -rf /',
  'i-abc$(touch pwned)',
  "i-abc' OR '1'='1",
  'i-abc\u0000Action=DeleteInstance',
  'i-abc\u2028Action=DeleteInstance',
  'i-abc/../../admin',
  'i-abc?Action=DeleteInstance',
  'i-abc#&Action=DeleteInstance',
  'i-abc\r\nX-Injected: 1',
  'i-abc<script>',
  'i-ａbc',
];

/** The injected fragments that must never appear raw on the wire. */
const RAW_MARKERS = [
  '&Action=DeleteInstance',
  'Action=DeleteInstance&',
  'rm -rf',
  '$(touch',
  "' OR '",
  '<script>',
  '\r',
  '\n',
  '\u0000',
];

function assertNoRawInjection(requests: readonly CapturedRequest[]): void {
  for (const r of requests) {
    figures.requestsScanned++;
    const wire = `${r.url} ${r.body} ${Object.values(r.headers).join(' ')}`;
    for (const marker of RAW_MARKERS) expect(wire).not.toContain(marker);
    expect(r.headers['x-injected']).toBeUndefined();
    const params = new URLSearchParams(r.url.slice(r.url.indexOf('?') + 1));
    expect(params.getAll('Action').length).toBeLessThanOrEqual(1);
    if (r.headers['x-acs-action'] !== undefined)
      expect(r.headers['x-acs-action']).toBe('DescribeCloudAssistantStatus');
  }
}

describe('IDs carrying injection attempts', () => {
  /** `#` starts a comment (documented), so `i-abc#…` is the ID `i-abc`: correct handling, not an error. */
  const commented = (bad: string) => /^i-[a-z0-9]+#/i.test(bad);

  it.each(INJECTIONS)(
    '%j as an argument: exit 2 naming it and no request, or only the clean ID sent',
    async (bad) => {
      figures.inputs++;
      const run = await runInProcess(['wait', ...endpointArgs(), 'i-good1', bad], env());
      if (commented(bad)) {
        expect(run.code, run.stderr).toBe(0);
        expect(ecs.requests.flatMap(requestedIds).sort()).toEqual(['i-abc', 'i-good1']);
        assertNoRawInjection(ecs.requests);
        return;
      }
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/argument 2/);
      expect(ecs.requests).toHaveLength(0);
    },
  );

  it.each(INJECTIONS)(
    '%j on line 3 of an ID file: exit 2 naming the line and no request, or only clean IDs sent',
    async (bad) => {
      figures.inputs++;
      const file = join(dir, 'inject.txt');
      await writeFile(file, `i-good1\ni-good2\n${bad}\ni-good3\n`);
      const run = await runInProcess(['wait', ...endpointArgs(), '--ids-file', file], env());
      if (commented(bad)) {
        expect(run.code, run.stderr).toBe(0);
        expect(ecs.requests.flatMap(requestedIds).sort()).toEqual(['i-abc', 'i-good1', 'i-good2', 'i-good3']);
        assertNoRawInjection(ecs.requests);
        return;
      }
      expect(run.code).toBe(2);
      // A CR/LF inside the "ID" moves it to the next line: either line names the culprit.
      expect(run.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(3|4)`));
      expect(ecs.requests).toHaveLength(0);
    },
  );

  it.each(INJECTIONS)(
    '%j given to the library: InvalidInstanceIdError naming it, and no request',
    async (bad) => {
      figures.inputs++;
      const client = createEcsClient({
        region: 'cn-hangzhou',
        endpoint: ecs.url,
        credentials: { accessKeyId: 'a', accessKeySecret: 'b' },
      });
      const error = await waitForCloudAssistant(['i-good1', bad], { client, timeoutMs: 1000 }).catch(
        (e: unknown) => e,
      );
      expect(isInvalidInstanceIdError(error)).toBe(true);
      expect((error as { invalid: { index: number }[] }).invalid.map((i) => i.index)).toEqual([1]);
      expect(ecs.requests).toHaveLength(0);
      await client.close();
    },
  );

  it.each(INJECTIONS)(
    '%j sent straight through core (no ID check there) is percent-encoded on the wire',
    async (bad) => {
      figures.inputs++;
      const client = createEcsClient({
        region: 'cn-hangzhou',
        endpoint: ecs.url,
        credentials: { accessKeyId: 'a', accessKeySecret: 'b' },
        retry: false,
      });
      const result = await client
        .describeCloudAssistantStatus({ instanceIds: [bad] })
        .catch((e: unknown) => e);
      expect(ecs.requests).toHaveLength(1);
      assertNoRawInjection(ecs.requests);
      // The server decodes exactly the string that was given, as one parameter value.
      const decoded = requestedIds(ecs.requests[0]!);
      expect(decoded).toEqual([bad.toWellFormed()]);
      void result;
      await client.close();
    },
  );
});

describe('huge and oddly encoded ID files', () => {
  it('reads a 1,000,000-line file (1,000 distinct IDs repeated) and waits on the distinct IDs', async () => {
    const distinct = Array.from({ length: 1000 }, (_, i) => `i-bp1${i.toString(36).padStart(6, '0')}`);
    const file = join(dir, 'million.txt');
    const lines: string[] = [];
    for (let i = 0; i < 1_000_000; i++) lines.push(distinct[i % 1000]!);
    writeFileSync(file, `${lines.join('\n')}\n`);
    figures.linesRead += 1_000_000;
    figures.inputs++;
    const started = Date.now();
    const ids = await collectIds({ args: [], files: [file] });
    const readMs = Date.now() - started;
    expect(ids).toEqual(distinct);
    const run = await runInProcess(['wait', ...endpointArgs(), '--json', '--ids-file', file], env());
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { readyCount: number; total: number };
    expect(report).toMatchObject({ readyCount: 1000, total: 1000 });
    // 1,000 IDs are 10 batches of 100.
    expect(ecs.requests.length).toBe(10);
    console.log(`1,000,000-line ID file read in ${readMs} ms`);
  });

  it('reads a 1,000,000-line file of distinct IDs in bounded time and memory', async () => {
    const file = join(dir, 'million-distinct.txt');
    const lines: string[] = [];
    for (let i = 0; i < 1_000_000; i++) lines.push(`i-${i.toString(36).padStart(20, '0')}`);
    writeFileSync(file, `${lines.join('\r\n')}\r\n`);
    figures.linesRead += 1_000_000;
    figures.inputs++;
    const before = process.memoryUsage().heapUsed;
    const ids = await collectIds({ args: [], files: [file] });
    expect(ids).toHaveLength(1_000_000);
    expect(ids[999_999]).toBe(lines[999_999]);
    // A million 22-character IDs in a Set and an array: well under 500 MB of heap.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(500 * 1024 * 1024);
  });

  it('names line 777,777 of a 1,000,000-line file when only that line is bad', async () => {
    const file = join(dir, 'million-bad.txt');
    const lines: string[] = [];
    for (let i = 0; i < 1_000_000; i++)
      lines.push(i === 777_776 ? 'i-abc&Action=DeleteInstance' : `i-a${i % 5000}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    figures.linesRead += 1_000_000;
    figures.inputs++;
    const run = await runInProcess(['wait', ...endpointArgs(), '--ids-file', file], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}:777777`);
    expect(run.stderr).toContain('i-abc&Action=DeleteInstance');
    expect(ecs.requests).toHaveLength(0);
  });

  const encodings: [string, Buffer, { ok: readonly string[] } | { line: number }][] = [
    ['blank lines and spaces', Buffer.from('\n\ni-a1\n   \n\t\ni-a2\n\n'), { ok: ['i-a1', 'i-a2'] }],
    ['CRLF line ends', Buffer.from('i-a1\r\ni-a2\r\n'), { ok: ['i-a1', 'i-a2'] }],
    ['a UTF-8 BOM', Buffer.from('\ufeffi-a1\ni-a2\n'), { ok: ['i-a1', 'i-a2'] }],
    ['a BOM and CRLF and no final newline', Buffer.from('\ufeffi-a1\r\ni-a2'), { ok: ['i-a1', 'i-a2'] }],
    [
      'comments and several IDs per line',
      Buffer.from('# fleet\ni-a1 i-a2 # two\n\ti-a3\n'),
      { ok: ['i-a1', 'i-a2', 'i-a3'] },
    ],
    [
      'invalid UTF-8 on line 2',
      Buffer.concat([Buffer.from('i-a1\n'), Buffer.from([0x69, 0x2d, 0xff, 0xfe, 0x0a])]),
      { line: 2 },
    ],
    [
      'a lone continuation byte on line 3',
      Buffer.concat([Buffer.from('i-a1\ni-a2\n'), Buffer.from([0x80, 0x0a])]),
      { line: 3 },
    ],
    ['an overlong encoding of "&" on line 1', Buffer.from([0x69, 0x2d, 0x61, 0xc0, 0xa6, 0x0a]), { line: 1 }],
    ['UTF-16LE text', Buffer.from('\ufeffi-a1\n', 'utf16le'), { line: 0 }],
    ['a NUL byte on line 2', Buffer.from('i-a1\ni-a2\u0000\n'), { line: 2 }],
    ['a lone CR as line separator', Buffer.from('i-a1\ri-a2\r'), { ok: ['i-a1', 'i-a2'] }],
    ['a 100 kB line', Buffer.from(`i-a1\n${'i'.repeat(100_000)}\n`), { line: 2 }],
  ];
  it.each(encodings)(
    'an ID file with %s is read correctly or rejected naming the line',
    async (_name, bytes, want) => {
      figures.inputs++;
      const file = join(dir, 'enc.txt');
      await writeFile(file, bytes);
      const run = await runInProcess(['wait', ...endpointArgs(), '--json', '--ids-file', file], env());
      if ('ok' in want) {
        expect(run.code, run.stderr).toBe(0);
        const report = JSON.parse(run.stdout) as { ready: string[] };
        expect(report.ready).toEqual(want.ok);
        const asked = ecs.requests.flatMap(requestedIds);
        expect(asked.sort()).toEqual([...want.ok].sort());
      } else {
        expect(run.code).toBe(2);
        expect(run.stderr).toContain(want.line === 0 ? file : `${file}:${want.line}`);
        expect(ecs.requests).toHaveLength(0);
      }
    },
  );

  it('stdin with injection attempts is rejected naming the stdin line', async () => {
    figures.inputs++;
    async function* stdin() {
      yield Buffer.from('i-a1\n');
      yield Buffer.from('i-a2&Action=Delete');
      yield Buffer.from('Instance\n');
    }
    const run = await runInProcess(['wait', ...endpointArgs(), '-'], env(), { stdin: stdin() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('stdin:2');
    expect(ecs.requests).toHaveLength(0);
  });
});
