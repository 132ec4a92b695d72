/**
 * Regression tests for issue 13 ("Hardening"): one `describe` per reproduced defect, each
 * reproducing the original probe against loopback servers and asserting the fixed behaviour.
 * Item 9 (`client.close()` with the limiter and retry sleep) belongs to the request-budget rewrite.
 */

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import * as EcsModule from '@alicloud/ecs20140526';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { createEcsClient, type EcsClientOptions, UnknownOptionError } from '@cloud-assistant-gate/core';
import { closestMatch, editDistance } from '@cloud-assistant-gate/core/options';
import { startEcsSimulator } from '@cloud-assistant-gate/simulator';
import {
  isCloudAssistantTimeoutError,
  isInvalidStatusReadingError,
  isStatusSourceError,
  waitForCloudAssistant,
  watchCloudAssistant,
} from '@cloud-assistant-gate/waiter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_SECRET_FRAGMENT, serverText } from '../packages/core/src/errors.js';
import { runCli } from '../packages/waiter/src/cli/main.js';
import { BIN, emptyHome, ROOT, runInProcess, sealedEnv } from './helpers/cli.js';
import {
  requestedIds,
  sendJson,
  signaturesOf,
  startServer,
  statusBody,
  type TestServer,
} from './helpers/http.js';

const figures: { probes: number } & Record<string, number> = { probes: 0 };
afterAll(() => {
  console.log(`HARDENING-FIGURES ${JSON.stringify(figures)}`);
});

/** The error a synchronous or asynchronous call fails with. */
async function failure(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('item 11: options nobody reads are refused, naming the closest valid one', () => {
  it('waitForCloudAssistant and watchCloudAssistant refuse `timeout` (meant: timeoutMs) before any call', async () => {
    let calls = 0;
    const client = async (ids: readonly string[]) => {
      calls++;
      return ids.map((id) => ({
        instanceId: id,
        cloudAssistantStatus: true,
        cloudAssistantVersion: '2.2.3',
      }));
    };
    const options = { client, timeout: 5000 } as unknown as Parameters<typeof waitForCloudAssistant>[1];
    const viaPromise = await failure(() => waitForCloudAssistant(['i-abc'], options));
    const viaObservable = await failure(() => watchCloudAssistant(['i-abc'], options));
    for (const error of [viaPromise, viaObservable]) {
      expect(error).toBeInstanceOf(UnknownOptionError);
      expect(error).toBeInstanceOf(TypeError);
      expect(error).toMatchObject({ option: 'timeout', suggestion: 'timeoutMs', code: 'ERR_UNKNOWN_OPTION' });
      expect((error as Error).message).toMatch(/`timeout`.*did you mean `timeoutMs`/);
    }
    expect(calls).toBe(0);
    figures.probes += 2;
  });

  it('a nested readiness key is named with its path and the closest readiness option', async () => {
    const error = await failure(() =>
      waitForCloudAssistant(['i-abc'], {
        client: async () => [],
        readiness: { consecutiv: 2 } as never,
      }),
    );
    expect(error).toMatchObject({ option: 'readiness.consecutiv', suggestion: 'readiness.consecutive' });
    figures.probes++;
  });

  it('createEcsClient refuses `regionId` (meant: region) and names the option', () => {
    const error = (() => {
      try {
        createEcsClient({ regionId: 'cn-hangzhou' } as unknown as EcsClientOptions);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnknownOptionError);
    expect(error).toMatchObject({ option: 'regionId', suggestion: 'region', where: 'createEcsClient' });
    expect(() =>
      createEcsClient({
        region: 'cn-hangzhou',
        credentials: { accessKeyId: 'a', accessKeySecret: 'b' },
        timeOut: 10,
      } as unknown as EcsClientOptions),
    ).toThrow(/Unknown option `timeOut` for createEcsClient; did you mean `timeoutMs`\?/);
    expect(() =>
      createEcsClient({
        region: 'cn-hangzhou',
        credentialsChain: { home: '/tmp' },
      } as unknown as EcsClientOptions),
    ).toThrow(
      expect.objectContaining({ option: 'credentialsChain.home', suggestion: 'credentialsChain.homeDir' }),
    );
    figures.probes += 3;
  });

  it('startEcsSimulator says what `instances` expects instead of "number 40 is not iterable"', async () => {
    const error = await failure(() => startEcsSimulator({ instances: 40 } as never));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/`instances` to be an array of instance specs/);
    expect((error as Error).message).toMatch(/fleets: \[\{ count: 40 \}\]/);
    expect((error as Error).message).toMatch(/got number 40/);
    expect((error as Error).message).not.toMatch(/iterable/);
    await expect(startEcsSimulator({ instance: [] } as never)).rejects.toMatchObject({
      option: 'instance',
      suggestion: 'instances',
    });
    await expect(startEcsSimulator({ scenario: { sped: 2 } } as never)).rejects.toMatchObject({
      option: 'scenario.sped',
      suggestion: 'scenario.speed',
    });
    // The value of `credentials` is never echoed: it holds secrets.
    const creds = await failure(() => startEcsSimulator({ credentials: 'super-secret-value' } as never));
    expect((creds as Error).message).not.toContain('super-secret-value');
    figures.probes += 4;
  });

  it('one edit-distance rule serves every "did you mean"', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closestMatch('timeout', ['signal', 'timeoutMs'])).toBe('timeoutMs');
    expect(closestMatch('regionId', ['endpoint', 'region'])).toBe('region');
    expect(closestMatch('MINREADY', ['minReady'])).toBe('minReady');
    expect(closestMatch('zzzzzz', ['timeoutMs', 'region'])).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

const KEY_ID = 'LTAI5tHardeningKeyId';
// No 8-character piece of it may occur in a file path: an error's stack names this file
// (hardening.test.ts), and a secret starting "Hardening…" made the scan flag the stack itself.
const SECRET = 'Qz7SecretValueOfProbes0123456789';
const TOKEN = `CAIS${'Hq7+/='.repeat(5)}${'tokenBody0123456789abcdefghijklmnopqrstuvwxyz'.repeat(8)}Zend`;
const STS = { accessKeyId: `STS.${KEY_ID}`, accessKeySecret: SECRET, securityToken: TOKEN } as const;

/**
 * A scanner for every piece of MIN_SECRET_FRAGMENT characters of `secrets` (raw, URL-encoded,
 * double-encoded): returns the pieces found in a text.
 */
function pieceScanner(secrets: readonly string[]): (text: string) => string[] {
  const pieces = new Set<string>();
  for (const secret of secrets) {
    const once = encodeURIComponent(secret);
    for (const form of [secret, once, encodeURIComponent(once)]) {
      for (let i = 0; i + MIN_SECRET_FRAGMENT <= form.length; i++)
        pieces.add(form.slice(i, i + MIN_SECRET_FRAGMENT));
    }
  }
  return (text) => {
    const found = new Set<string>();
    for (let i = 0; i + MIN_SECRET_FRAGMENT <= text.length; i++) {
      const window = text.slice(i, i + MIN_SECRET_FRAGMENT);
      if (pieces.has(window)) found.add(window);
    }
    return [...found];
  };
}

const secretPieces = (text: string, secrets: readonly string[]): string[] => pieceScanner(secrets)(text);

/** Every text a person or a log may see of an error. */
function shownTexts(error: unknown): string[] {
  const out: string[] = [
    String(error),
    inspect(error, { depth: 10, showHidden: true }),
    JSON.stringify(error),
  ];
  for (let e: unknown = error, d = 0; e instanceof Error && d < 6; e = e.cause, d++) {
    out.push(e.message, e.stack ?? '');
    for (const value of Object.values(e)) if (typeof value === 'string') out.push(value);
  }
  return out;
}

describe('item 3: an error inside an HTTP 200 is the API error it is', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((_req, res) =>
      sendJson(res, 200, {
        RequestId: 'req-forbidden',
        HostId: 'ecs.cn-hangzhou.aliyuncs.com',
        Code: 'Forbidden.RAM',
        Message:
          'User not authorized to operate on the specified resource, or this API does not support RAM.',
      }),
    );
  });
  afterAll(() => server.close());
  const options = (): EcsClientOptions => ({
    region: 'cn-hangzhou',
    endpoint: server.url,
    credentials: { accessKeyId: KEY_ID, accessKeySecret: SECRET },
  });

  it('core rejects with EcsApiError Forbidden.RAM (HTTP 200, not retryable), for describe and for call()', async () => {
    const ecs = createEcsClient(options());
    try {
      server.requests.length = 0;
      await expect(ecs.describeCloudAssistantStatus({ instanceIds: ['i-abc'] })).rejects.toMatchObject({
        code: 'ECS_API_ERROR',
        apiCode: 'Forbidden.RAM',
        statusCode: 200,
        retryable: false,
        requestId: 'req-forbidden',
      });
      expect(server.requests).toHaveLength(1);
      await expect(ecs.call('DescribeInstances', {})).rejects.toMatchObject({ apiCode: 'Forbidden.RAM' });
    } finally {
      await ecs.close();
    }
    figures.probes += 2;
  });

  it('the wait fails at once with the permission error (not a timeout with not-found)', async () => {
    const started = Date.now();
    const error = await failure(() =>
      waitForCloudAssistant(['i-abc', 'i-def'], { ...options(), timeoutMs: 20_000, minDelayMs: 50 }),
    );
    expect(error).toMatchObject({ code: 'WAITER_SOURCE_FAILED', apiCode: 'Forbidden.RAM' });
    expect(Date.now() - started).toBeLessThan(5_000);
    figures.probes++;
  });

  it('the CLI exits 3 and shows the code, for wait and for status (with and without IDs)', async () => {
    const env = sealedEnv({ ALIBABA_CLOUD_ACCESS_KEY_ID: KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET });
    const base = [
      '--region',
      'cn-hangzhou',
      '--endpoint',
      server.url,
      '--timeout',
      '10s',
      '--min-delay',
      '50ms',
    ];
    for (const argv of [
      ['wait', 'i-abc', ...base],
      ['status', 'i-abc', ...base],
      ['status', ...base],
      ['wait', 'i-abc', '--json', ...base],
    ]) {
      const run = await runInProcess(argv, env);
      expect(run.code, argv.join(' ')).toBe(3);
      expect(run.stderr + run.stdout, argv.join(' ')).toContain('Forbidden.RAM');
      if (argv.includes('--json')) {
        expect(JSON.parse(run.stdout)).toMatchObject({
          ok: false,
          exitCode: 3,
          error: { apiCode: 'Forbidden.RAM' },
        });
      }
    }
    figures.probes += 4;
  });
});

describe('item 4: server text is redacted before it is cut, and pieces of secrets are hidden too', () => {
  const SIGNATURE_V3 = 'a3f1c29e7b0d4e58a3f1c29e7b0d4e58a3f1c29e7b0d4e58a3f1c29e7b0d4e58';
  const SIGNATURE_V1 = 'kQ3+Zf9/uY2mXw8pLr1tNv0sHg4=';
  const secrets = [SECRET, TOKEN, SIGNATURE_V3, SIGNATURE_V1];

  it('at every offset of a long padded page, no 8-character piece of any secret survives (excerpt and message)', () => {
    let checked = 0;
    const scan = pieceScanner(secrets);
    // Offsets that matter: where the 200-character excerpt and the 1,024-character message are
    // cut (visible padding 0 … 1,100), and where the old code cut the raw body (4,096, behind
    // blanks that collapse to one space: 3,850 … 4,150).
    const layouts = [
      ...Array.from({ length: 1_101 }, (_, offset) => 'x'.repeat(offset)),
      ...Array.from({ length: 301 }, (_, k) => ' '.repeat(3_850 + k)),
    ];
    for (const secret of secrets) {
      for (const padding of layouts) {
        const body = `${padding}x-acs-security-token: ${secret}\r\nmore`;
        for (const options of [{ maxChars: 200, collapseWhitespace: true }, { maxChars: 1024 }]) {
          const out = serverText(body, secrets, options);
          expect(out.length).toBeLessThanOrEqual(options.maxChars);
          const hits = scan(out);
          if (hits.length > 0) expect.fail(`padding ${padding.length}: ${hits.join(', ')} in ${out}`);
          checked++;
        }
      }
      // URL-encoded, at the cut points only.
      for (const at of [180, 190, 199, 1000, 1015, 1023]) {
        const out = serverText(`${'y'.repeat(at)}${encodeURIComponent(secret)}`, secrets, {
          maxChars: at < 500 ? 200 : 1024,
        });
        expect(secretPieces(out, secrets)).toEqual([]);
        checked++;
      }
    }
    // A server that echoed only part of a secret (a proxy cut the header): pieces of 8+ are hidden.
    for (const secret of secrets) {
      for (let k = MIN_SECRET_FRAGMENT; k <= secret.length; k++) {
        for (const part of [secret.slice(0, k), secret.slice(secret.length - k)]) {
          const out = serverText(`token=${part}; more`, secrets, { maxChars: 1024 });
          expect(secretPieces(out, secrets)).toEqual([]);
          checked++;
        }
      }
    }
    figures.probes += checked;
    figures['excerptOffsetsChecked'] = checked;
  });

  it('keeps text that is not secret, and marks a cut', () => {
    expect(
      serverText('  <html>\n  <b>502</b>  Bad   Gateway </html>', [SECRET], {
        maxChars: 200,
        collapseWhitespace: true,
      }),
    ).toBe('<html> <b>502</b> Bad Gateway </html>');
    expect(serverText('a'.repeat(50), [], { maxChars: 10 })).toBe(`${'a'.repeat(9)}…`);
    expect(serverText(`x ${SECRET} y`, [SECRET], { maxChars: 100 })).toBe('x [redacted] y');
  });

  it('an error page echoing the request (V3 headers, V1 form body) after padding leaks nothing through message, inspect, toJSON or the CLI --json', async () => {
    let pad = 0;
    const server = await startServer((req, res) => {
      const echo = [
        `${req.method} ${req.url}`,
        ...Object.entries(req.headers).map(([k, v]) => `${k}: ${String(v)}`),
        '',
        req.body,
        `debug: accessKeySecret ${SECRET}`,
      ].join('\r\n');
      const page = `<html>${' '.repeat(pad)}${echo}</html>`;
      res.writeHead(502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(page) });
      res.end(page);
    });
    const signatures = new Set<string>();
    let errors = 0;
    try {
      for (const signatureVersion of ['v3', 'v1'] as const) {
        const ecs = createEcsClient({
          region: 'cn-hangzhou',
          endpoint: server.url,
          credentials: STS,
          signatureVersion,
          retry: false,
        });
        try {
          for (pad = 3_700; pad <= 4_200; pad += 9) {
            const error = await failure(() => ecs.describeCloudAssistantStatus({ instanceIds: ['i-abc'] }));
            for (const r of server.requests.splice(0)) for (const sig of signaturesOf(r)) signatures.add(sig);
            const hits = secretPieces(shownTexts(error).join('\n'), [SECRET, TOKEN, ...signatures]);
            if (hits.length > 0) expect.fail(`${signatureVersion}, pad ${pad}: ${hits.join(', ')}`);
            errors++;
          }
        } finally {
          await ecs.close();
        }
      }
      expect(signatures.size).toBe(errors);
      // The CLI: human output and --json, for wait and status.
      const env = sealedEnv({
        ALIBABA_CLOUD_ACCESS_KEY_ID: STS.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET,
        ALIBABA_CLOUD_SECURITY_TOKEN: TOKEN,
      });
      for (pad of [3_900, 4_000, 4_050, 4_090]) {
        for (const argv of [
          ['status', 'i-abc', '--json'],
          ['status', 'i-abc'],
        ]) {
          const run = await runInProcess([...argv, '--region', 'cn-hangzhou', '--endpoint', server.url], env);
          for (const r of server.requests.splice(0)) for (const sig of signaturesOf(r)) signatures.add(sig);
          const hits = secretPieces(run.stdout + run.stderr, [SECRET, TOKEN, ...signatures]);
          if (hits.length > 0) expect.fail(`CLI ${argv.join(' ')}, pad ${pad}: ${hits.join(', ')}`);
          if (argv.includes('--json')) expect(() => JSON.parse(run.stdout)).not.toThrow();
        }
      }
    } finally {
      await server.close();
    }
    figures.probes += errors;
    figures['echoPageErrors'] = errors;
  });
});

describe('item 12: V1 sends its token and signature in a form body, never in a URL', () => {
  it('NODE_DEBUG=undici logs no STS token and no signature for V1 (and V3)', async () => {
    const server = await startServer((req, res) => sendJson(res, 200, statusBody(requestedIds(req))));
    try {
      const script = `
        import { createEcsClient } from ${JSON.stringify(`${ROOT}packages/core/dist/index.js`)};
        for (const signatureVersion of ['v1', 'v3']) {
          const ecs = createEcsClient({ region: 'cn-hangzhou', endpoint: process.argv[1], credentials: JSON.parse(process.argv[2]), signatureVersion });
          const r = await ecs.describeCloudAssistantStatus({ instanceIds: ['i-abc', 'i-def'] });
          if (r.instances.length !== 2) throw new Error('bad answer');
          await ecs.close();
        }`;
      const stderr = await new Promise<string>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--input-type=module', '-e', script, server.url, JSON.stringify(STS)],
          {
            env: { PATH: process.env['PATH'] ?? '', NODE_DEBUG: 'undici' },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let err = '';
        child.stderr.on('data', (c: Buffer) => {
          err += c.toString('utf8');
        });
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(err) : reject(new Error(`exit ${code}: ${err}`))));
      });
      expect(stderr).toMatch(/UNDICI/);
      const v1 = server.requests.find((r) => r.headers['authorization'] === undefined)!;
      expect(v1.method).toBe('POST');
      expect(v1.url).toBe('/');
      expect(v1.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(new URLSearchParams(v1.body).get('SecurityToken')).toBe(TOKEN);
      const signatures = server.requests.flatMap(signaturesOf);
      expect(signatures).toHaveLength(2);
      expect(secretPieces(stderr, [SECRET, TOKEN, ...signatures])).toEqual([]);
    } finally {
      await server.close();
    }
    figures.probes++;
  });
});

// Under native ESM the CJS module's `default` is `module.exports`, whose `default` is the class.
const Ecs: typeof EcsModule.default =
  (EcsModule.default as unknown as { default?: typeof EcsModule.default }).default ?? EcsModule.default;

/** A status source that answers every call with `make(ids)`. */
const source = (make: (ids: readonly string[]) => unknown) => async (ids: readonly string[]) =>
  make(ids) as never;
const quick = { timeoutMs: 400, minDelayMs: 50, maxDelayMs: 100 } as const;

describe('item 1: only a reading that says online counts; a source breaking its contract is named', () => {
  it('the official SDK\'s string "false" is offline (the probe resolved at once with i-abc ready)', async () => {
    const error = await failure(() =>
      waitForCloudAssistant(['i-abc'], {
        ...quick,
        client: source((ids) => ids.map((id) => ({ instanceId: id, cloudAssistantStatus: 'false' }))),
      }),
    );
    expect(isCloudAssistantTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({
      ready: [],
      pending: [{ instanceId: 'i-abc', reason: 'no-heartbeat-yet' }],
    });
    const ok = await waitForCloudAssistant(['i-abc'], {
      ...quick,
      client: source((ids) => ids.map((id) => ({ instanceId: id, cloudAssistantStatus: 'true' }))),
    });
    expect(ok.ready).toEqual(['i-abc']);
    figures.probes += 2;
  });

  it('a source built on the official SDK against the simulator: exactly the online instances are ready', async () => {
    const sim = await startEcsSimulator({
      speed: 60,
      instances: [
        { id: 'i-online1', onlineAfterMs: 0 },
        { id: 'i-online2', onlineAfterMs: 0, osType: 'Windows' },
        { id: 'i-offline', onlineAfterMs: null },
      ],
    });
    try {
      const sdk = new Ecs(
        new $OpenApiUtil.Config({
          ...sim.credentials,
          regionId: sim.region,
          endpoint: sim.host,
          protocol: 'http',
        }),
      );
      const client = async (ids: readonly string[]) =>
        (
          await sdk.describeCloudAssistantStatus(
            new EcsModule.DescribeCloudAssistantStatusRequest({ regionId: sim.region, instanceId: [...ids] }),
          )
        ).body?.instanceCloudAssistantStatusSet?.instanceCloudAssistantStatus ?? [];
      const error = await failure(() =>
        waitForCloudAssistant(['i-online1', 'i-online2', 'i-offline'], {
          ...quick,
          timeoutMs: 1_500,
          client: client as never,
        }),
      );
      expect(error).toMatchObject({
        ready: ['i-online1', 'i-online2'],
        pending: [{ instanceId: 'i-offline' }],
      });
      // The SDK's OSType is read as osType.
      const linux = await failure(() =>
        waitForCloudAssistant(['i-online1', 'i-online2'], {
          ...quick,
          timeoutMs: 1_500,
          client: client as never,
          readiness: { osType: 'Linux' },
        }),
      );
      expect(linux).toMatchObject({
        ready: ['i-online1'],
        pending: [{ instanceId: 'i-online2', reason: 'readiness-unmet: OS Windows is not Linux' }],
      });
    } finally {
      await sim.close();
    }
    figures.probes += 2;
  });

  it.each([
    ['"online"', 'online'],
    ['"yes"', 'yes'],
    ['1', 1],
    ['null', null],
    ['undefined', undefined],
    ['an object', { value: true }],
    ['" true"', ' true'],
  ])(
    'cloudAssistantStatus %s ends the wait with an error naming the instance, the field and the value',
    async (_name, value) => {
      let calls = 0;
      const error = await failure(() =>
        waitForCloudAssistant(['i-abc', 'i-def'], {
          ...quick,
          client: source((ids) => {
            calls++;
            return ids.map((id) => ({ instanceId: id, cloudAssistantStatus: id === 'i-def' ? value : true }));
          }),
        }),
      );
      expect(isStatusSourceError(error)).toBe(true);
      const cause = (error as Error).cause;
      expect(isInvalidStatusReadingError(cause)).toBe(true);
      expect(cause).toMatchObject({
        instanceId: 'i-def',
        field: 'cloudAssistantStatus',
        index: 1,
        retryable: false,
      });
      expect((error as Error).message).toMatch(/i-def.*cloudAssistantStatus is/);
      expect((error as Error).message).toMatch(/status source contract/);
      // Nobody is ready from a batch whose answer broke the contract.
      expect(error).toMatchObject({ ready: [] });
      expect(calls).toBe(1);
      figures.probes++;
    },
  );

  it('an answer that is not an array, a reading without instanceId, or a wrong field type is refused', async () => {
    for (const [answer, field] of [
      [{ instances: [] }, '(answer)'],
      [[{ InstanceId: 'i-abc', CloudAssistantStatus: 'true' }], 'instanceId'],
      [
        [{ instanceId: 'i-abc', cloudAssistantStatus: true, cloudAssistantVersion: 2 }],
        'cloudAssistantVersion',
      ],
      [
        [{ instanceId: 'i-abc', cloudAssistantStatus: true, supportSessionManager: 'maybe' }],
        'supportSessionManager',
      ],
      [['i-abc'], '(reading)'],
    ] as const) {
      const error = await failure(() =>
        waitForCloudAssistant(['i-abc'], { ...quick, client: source(() => answer) }),
      );
      expect((error as Error).cause, JSON.stringify(answer)).toMatchObject({
        code: 'WAITER_INVALID_STATUS',
        field,
      });
      figures.probes++;
    }
  });
});

describe("item 2: one rule for wait and status: a conflicting duplicate is not ready, others' IDs are ignored", () => {
  const item = (id: string, online: boolean) => ({
    InstanceId: id,
    CloudAssistantStatus: online ? 'true' : 'false',
    CloudAssistantVersion: '2.2.3.317',
  });
  const body = (items: unknown[]) => ({
    RequestId: 'r',
    InstanceCloudAssistantStatusSet: { InstanceCloudAssistantStatus: items },
  });
  let server: TestServer;
  let respond: (ids: string[]) => unknown[] = () => [];
  beforeAll(async () => {
    server = await startServer((req, res) => sendJson(res, 200, body(respond(requestedIds(req)))));
  });
  afterAll(() => server.close());
  const env = () =>
    sealedEnv({ ALIBABA_CLOUD_ACCESS_KEY_ID: KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET });
  const cli = (argv: string[]) =>
    runInProcess([...argv, '--region', 'cn-hangzhou', '--endpoint', server.url, '--json'], env());

  for (const order of [
    [true, false],
    [false, true],
  ]) {
    it(`"${order.join('" then "')}" for one ID: wait is not ready (exit 1) and status shows it offline`, async () => {
      respond = (ids) =>
        ids.flatMap((id) => (id === 'i-dup' ? order.map((o) => item(id, o)) : [item(id, true)]));
      const wait = await cli(['wait', 'i-dup', 'i-ok', '--timeout', '1s', '--min-delay', '100ms']);
      expect(wait.code).toBe(1);
      expect(JSON.parse(wait.stdout)).toMatchObject({ ready: ['i-ok'], notReady: [{ instanceId: 'i-dup' }] });
      const status = await cli(['status', 'i-dup', 'i-ok']);
      expect(status.code).toBe(0);
      const shown = JSON.parse(status.stdout) as {
        instances: { instanceId: string; cloudAssistantStatus: boolean }[];
      };
      expect(shown.instances.map((i) => [i.instanceId, i.cloudAssistantStatus])).toEqual([
        ['i-dup', false],
        ['i-ok', true],
      ]);
      // The same through the library.
      const lib = await failure(() =>
        waitForCloudAssistant(['i-dup', 'i-ok'], {
          ...quick,
          region: 'cn-hangzhou',
          endpoint: server.url,
          credentials: { accessKeyId: KEY_ID, accessKeySecret: SECRET },
        }),
      );
      expect(lib).toMatchObject({ ready: ['i-ok'] });
      figures.probes += 3;
    });
  }

  it('an entry for an ID the call did not ask for is ignored by wait and by status (status once took it from another batch)', async () => {
    // 150 IDs: two batches. Every answer also claims i-b149 (in the second batch) is online;
    // the second batch's own answer says it is offline.
    const ids = Array.from({ length: 150 }, (_, i) => `i-b${i}`);
    respond = (asked) => [
      ...asked.map((id) => item(id, id !== 'i-b149')),
      ...(asked.includes('i-b149') ? [] : [item('i-b149', true), item('i-stranger', true)]),
    ];
    for (const concurrency of ['1', '2']) {
      const status = await cli(['status', ...ids, '--concurrency', concurrency]);
      const shown = JSON.parse(status.stdout) as {
        instances: { instanceId: string; cloudAssistantStatus: boolean }[];
      };
      expect(shown.instances.find((i) => i.instanceId === 'i-b149')?.cloudAssistantStatus).toBe(false);
      expect(shown.instances.map((i) => i.instanceId)).toEqual(ids);
      const wait = await cli([
        'wait',
        ...ids,
        '--timeout',
        '1s',
        '--min-delay',
        '100ms',
        '--concurrency',
        concurrency,
      ]);
      expect(wait.code).toBe(1);
      // Its region rides along (issue 12); this test server has no DescribeInstanceStatus, so the
      // end-of-wait lookup adds no instance status.
      expect(JSON.parse(wait.stdout).notReady).toEqual([
        { instanceId: 'i-b149', reason: 'agent-offline', region: 'cn-hangzhou' },
      ]);
      figures.probes += 2;
    }
    // A source answering for an ID it was not asked about: ignored, the asked one is missing.
    const error = await failure(() =>
      waitForCloudAssistant(['i-asked'], {
        ...quick,
        client: source(() => [{ instanceId: 'i-other', cloudAssistantStatus: true }]),
      }),
    );
    expect(error).toMatchObject({ ready: [], pending: [{ instanceId: 'i-asked', reason: 'not-found' }] });
    figures.probes++;
  });
});

// ---------------------------------------------------------------------------------------------

/**
 * Resolves true once process `pid` holds `path` open (a link in /proc/<pid>/fd points at it),
 * false if `gone()` first. For the CLI this proves it is reading the file, so its signal handlers
 * (installed before anything else runs) are in place: no start-up time to guess. Linux only.
 */
async function untilOpen(pid: number, path: string, gone: () => boolean): Promise<boolean> {
  const target = realpathSync(path);
  while (!gone()) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      // Not there yet, or already gone: `gone()` tells.
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return true;
      } catch {
        // Closed meanwhile.
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

/** /proc/<pid>/fd, which {@link untilOpen} reads, exists (Linux). */
const procFds = existsSync('/proc/self/fd');

/**
 * Runs the built CLI; with `signal` and `signalOnceOpen`, sends the signal once the CLI holds that
 * path open (see {@link untilOpen}); resolves with how it ended, `msAfterSignal` measured from the
 * signal.
 */
function spawnCli(
  argv: readonly string[],
  env: Record<string, string>,
  options: { signal?: NodeJS.Signals; signalOnceOpen?: string; limitMs?: number; input?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; msAfterSignal: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, ...argv], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalledAt = Number.NaN;
    let exited = false;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const { signal, signalOnceOpen } = options;
    if (signal !== undefined && signalOnceOpen !== undefined && child.pid !== undefined) {
      void untilOpen(child.pid, signalOnceOpen, () => exited).then((open) => {
        if (!open || exited) return;
        signalledAt = Date.now();
        child.kill(signal);
      });
    }
    const limit = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the CLI did not exit within ${options.limitMs ?? 15_000} ms; stderr: ${stderr}`));
    }, options.limitMs ?? 15_000);
    child.on('error', reject);
    child.on('exit', () => {
      exited = true;
    });
    child.on('close', (code) => {
      exited = true;
      clearTimeout(limit);
      const now = Date.now();
      resolve({ code, stdout, stderr, ms: now - started, msAfterSignal: now - signalledAt });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

describe('item 5: no read can block an exit, a deadline or a signal; apiCalls counts only requests sent', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cag-hardening-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const fifo = (name: string): string => {
    const path = join(dir, name);
    execFileSync('mkfifo', [path]);
    return path;
  };

  it.skipIf(!procFds)(
    '--ids-file on a FIFO with no writer: SIGTERM and SIGINT end the CLI at once (exit 130)',
    async () => {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const path = fifo(`ids-${signal}`);
        // Signalled once the CLI has the FIFO open (it then waits for a writer that never comes).
        const run = await spawnCli(['wait', '--ids-file', path, '--region', 'cn-hangzhou'], sealedEnv(), {
          signal,
          signalOnceOpen: path,
        });
        expect(run.code, run.stderr).toBe(130);
        expect(run.msAfterSignal).toBeLessThan(3_000);
        figures.probes++;
        figures[`idsFifoExitAfter${signal}Ms`] = run.msAfterSignal;
      }
    },
  );

  it('--ids-file on a FIFO with a writer (like <(…)) reads the IDs; a device is refused naming it', async () => {
    const server = await startServer((req, res) => sendJson(res, 200, statusBody(requestedIds(req))));
    try {
      const path = fifo('ids-written');
      const writer = spawn('sh', ['-c', `sleep 0.3; printf 'i-abc\\ni-def\\n' > '${path}'`]);
      const run = await spawnCli(
        ['status', '--ids-file', path, '--region', 'cn-hangzhou', '--endpoint', server.url, '--json'],
        sealedEnv({ ALIBABA_CLOUD_ACCESS_KEY_ID: KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET }),
      );
      writer.kill();
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).instances.map((i: { instanceId: string }) => i.instanceId)).toEqual([
        'i-abc',
        'i-def',
      ]);
      const device = await runInProcess(
        ['status', '--ids-file', '/dev/zero', '--region', 'cn-hangzhou'],
        sealedEnv(),
      );
      expect(device.code).toBe(2);
      expect(device.stderr).toMatch(/\/dev\/zero.*a device, not a file or a pipe/);
    } finally {
      await server.close();
    }
    figures.probes += 2;
  });

  it('~/.aliyun/config.json as a FIFO: the CLI names it and exits 3 at once (it printed its timeout report, then hung, claiming apiCalls: 1)', async () => {
    const server = await startServer((req, res) => sendJson(res, 200, statusBody(requestedIds(req))));
    try {
      const home = emptyHome();
      mkdirSync(join(home, '.aliyun'));
      execFileSync('mkfifo', [join(home, '.aliyun', 'config.json')]);
      const run = await spawnCli(
        ['wait', 'i-abc', '--region', 'cn-hangzhou', '--endpoint', server.url, '--timeout', '3s', '--json'],
        { ...sealedEnv(), HOME: home, ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'false' },
        { limitMs: 10_000 },
      );
      expect(run.code, run.stderr).toBe(3);
      expect(run.ms).toBeLessThan(6_000);
      expect(run.stderr).toMatch(/config\.json: is a FIFO \(named pipe\), not a regular file/);
      expect(server.requests).toHaveLength(0);
      figures['fifoConfigExitMs'] = run.ms;
    } finally {
      await server.close();
    }
    figures.probes++;
  });

  it('/dev/urandom and a 2 MiB file as the credentials file are refused at once, naming the file', async () => {
    const big = join(dir, 'big-credentials');
    writeFileSync(big, `[default]\ntype = access_key\n${'#'.repeat(2 * 1024 * 1024)}\n`);
    for (const [file, pattern] of [
      ['/dev/urandom', /\/dev\/urandom \(ALIBABA_CLOUD_CREDENTIALS_FILE\): is a device, not a regular file/],
      [big, /big-credentials \(ALIBABA_CLOUD_CREDENTIALS_FILE\): is \d+ bytes, over the 1048576-byte limit/],
    ] as const) {
      const started = Date.now();
      const ecs = createEcsClient({
        region: 'cn-hangzhou',
        endpoint: 'http://127.0.0.1:9',
        credentialsChain: {
          env: { ALIBABA_CLOUD_CREDENTIALS_FILE: file, ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' },
          homeDir: emptyHome(),
        },
      });
      const error = await failure(() => ecs.describeCloudAssistantStatus({ instanceIds: ['i-abc'] }));
      await ecs.close();
      expect(error).toMatchObject({ code: 'ECS_CREDENTIALS' });
      expect((error as Error).message).toMatch(pattern);
      expect(Date.now() - started).toBeLessThan(2_000);
      figures.probes++;
    }
  });

  it('a call honours its signal while credentials are looked up (a provider that never answers, a metadata service that never answers)', async () => {
    const silent = await startServer(() => undefined);
    // Sockets of the silent metadata service, and whether the client closed them.
    const { createServer } = await import('node:http');
    let opened = 0;
    let closed = 0;
    const imds = createServer(() => undefined);
    imds.on('connection', (socket) => {
      opened++;
      socket.on('close', () => {
        closed++;
      });
    });
    await new Promise<void>((r) => imds.listen(0, '127.0.0.1', r));
    const imdsUrl = `http://127.0.0.1:${(imds.address() as { port: number }).port}`;
    try {
      for (const credentials of [
        { credentials: () => new Promise<never>(() => undefined) },
        {
          credentialsChain: {
            env: { ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'false' },
            homeDir: emptyHome(),
            imdsEndpoint: imdsUrl,
            imdsTimeoutMs: 60_000,
          },
        },
      ]) {
        const ecs = createEcsClient({
          region: 'cn-hangzhou',
          endpoint: 'http://127.0.0.1:9',
          ...credentials,
        });
        const started = Date.now();
        const error = await failure(() =>
          ecs.describeCloudAssistantStatus({ instanceIds: ['i-abc'], signal: AbortSignal.timeout(300) }),
        );
        expect((error as Error).name).toBe('TimeoutError');
        expect(Date.now() - started).toBeLessThan(2_000);
        await ecs.close();
        figures.probes++;
      }
      // The metadata request was abandoned with the last caller: its connection is closed, not
      // left for the 60 s imdsTimeoutMs.
      await new Promise((r) => setTimeout(r, 200));
      expect(opened).toBeGreaterThan(0);
      expect(closed).toBe(opened);
    } finally {
      imds.closeAllConnections();
      await new Promise((r) => imds.close(r));
      await silent.close();
    }
  });

  it('apiCalls counts requests sent: 0 when none was, 1 for a request abandoned at the deadline', async () => {
    const hung = createEcsClient({
      region: 'cn-hangzhou',
      endpoint: 'http://127.0.0.1:9',
      credentials: () => new Promise<never>(() => undefined),
    });
    const none = await failure(() =>
      waitForCloudAssistant(['i-abc'], { client: hung, timeoutMs: 300, minDelayMs: 50 }),
    );
    await hung.close();
    expect(isCloudAssistantTimeoutError(none)).toBe(true);
    expect(none).toMatchObject({ apiCalls: 0 });
    const stall = await startServer(() => undefined);
    try {
      const ecs = createEcsClient({
        region: 'cn-hangzhou',
        endpoint: stall.url,
        credentials: { accessKeyId: KEY_ID, accessKeySecret: SECRET },
      });
      const one = await failure(() =>
        waitForCloudAssistant(['i-abc'], { client: ecs, timeoutMs: 300, minDelayMs: 50 }),
      );
      await ecs.close();
      expect(one).toMatchObject({ apiCalls: 1, errors: {} });
      expect(stall.requests.length + stall.connections).toBeGreaterThan(0);
    } finally {
      await stall.close();
    }
    figures.probes += 2;
  });
});

describe('item 6: status without IDs honours --timeout and stops a listing that never ends', () => {
  let server: TestServer;
  let page: (n: number) => unknown = () => ({});
  let pages = 0;
  beforeAll(async () => {
    server = await startServer((_req, res) => sendJson(res, 200, page(++pages)));
  });
  afterAll(() => server.close());
  const cli = (argv: string[]) =>
    runInProcess(
      ['status', ...argv, '--region', 'cn-hangzhou', '--endpoint', server.url, '--json'],
      sealedEnv({ ALIBABA_CLOUD_ACCESS_KEY_ID: KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET }),
    );
  const endless = (n: number) => ({
    RequestId: `r${n}`,
    NextToken: `token-${n}`,
    InstanceCloudAssistantStatusSet: {
      InstanceCloudAssistantStatus: [{ InstanceId: `i-page${n}`, CloudAssistantStatus: 'true' }],
    },
  });

  it('a server handing out a new NextToken forever: --timeout ends it with exit 1 and the count read', async () => {
    page = endless;
    pages = 0;
    const started = Date.now();
    const run = await cli(['--timeout', '1500ms']);
    const ms = Date.now() - started;
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /status did not finish within --timeout 1500ms \(\d+ instances read\); raise --timeout/,
    );
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, exitCode: 1, error: { code: 'CLI_TIMEOUT' } });
    expect(ms).toBeLessThan(4_000);
    figures['endlessPagesBeforeTimeout'] = pages;
    figures.probes++;
  });

  it('core stops at maxPages, at 10 empty pages in a row, and at a repeated token, naming NextToken', async () => {
    const ecs = createEcsClient({
      region: 'cn-hangzhou',
      endpoint: server.url,
      credentials: { accessKeyId: KEY_ID, accessKeySecret: SECRET },
    });
    try {
      const drain = async (maxPages?: number) => {
        let n = 0;
        for await (const _ of ecs.listCloudAssistantStatus(maxPages === undefined ? {} : { maxPages })) n++;
        return n;
      };
      page = endless;
      pages = 0;
      await expect(drain(200)).rejects.toMatchObject({
        code: 'ECS_RESPONSE_INVALID',
        path: 'NextToken',
        retryable: false,
        message: expect.stringMatching(/after 200 pages \(maxPages/),
      });
      expect(pages).toBe(200);
      page = (n) => ({ RequestId: `r${n}`, NextToken: `empty-${n}` });
      pages = 0;
      await expect(drain()).rejects.toMatchObject({
        path: 'NextToken',
        message: expect.stringMatching(/10 empty pages/),
      });
      expect(pages).toBe(10);
      page = (n) => ({ ...endless(n), NextToken: n > 3 ? 'token-2' : `token-${n}` });
      pages = 0;
      await expect(drain()).rejects.toMatchObject({
        path: 'NextToken',
        message: expect.stringMatching(/repeats/),
      });
      expect(pages).toBe(4);
    } finally {
      await ecs.close();
    }
    // The CLI: exit 4 naming the field, at once.
    page = (n) => ({ RequestId: `r${n}`, NextToken: `empty-${n}` });
    const run = await cli(['--timeout', '20s']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/NextToken/);
    figures.probes += 4;
  });

  it('status with IDs honours --timeout too (an API that never answers)', async () => {
    const silent = await startServer(() => undefined);
    try {
      const started = Date.now();
      const run = await runInProcess(
        ['status', 'i-abc', '--region', 'cn-hangzhou', '--endpoint', silent.url, '--timeout', '800ms'],
        sealedEnv({ ALIBABA_CLOUD_ACCESS_KEY_ID: KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET }),
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/status did not finish within --timeout 800ms/);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await silent.close();
    }
    figures.probes++;
  });
});

describe('item 7: nothing from the network or a file reaches the terminal raw', () => {
  const hostile = {
    version: '2.2.3\u001b]0;pwned\u0007\u001b[2K\r\u2714 All 2 instances ready\u001b[8m',
    os: 'Linux\u009b31m\u202etxet desrever\u2066\u0085',
    message: 'Denied\u001b[2J\u001b[H\u2714 All 2 instances ready\u009d0;title\u009c',
  };
  /** Raw control characters, C1, bidi controls (what must never be printed), other than our own SGR colours. */
  const RAW =
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
  const withoutOurColours = (text: string) => text.replace(/\u001b\[(?:\d+(?:;\d+)*)?m|\r\u001b\[2K/g, '');
  let server: TestServer;
  let mode: 'status' | 'error' = 'status';
  beforeAll(async () => {
    server = await startServer((req, res) => {
      if (mode === 'error') {
        sendJson(res, 403, { RequestId: 'r', Code: 'Forbidden.RAM', Message: hostile.message });
        return;
      }
      sendJson(res, 200, {
        RequestId: 'r',
        InstanceCloudAssistantStatusSet: {
          InstanceCloudAssistantStatus: requestedIds(req).map((id) => ({
            InstanceId: id,
            CloudAssistantStatus: 'true',
            CloudAssistantVersion: hostile.version,
            OSType: hostile.os,
            LastHeartbeatTime: '2026-01-01T00:00:00Z\u001b[31m',
          })),
        },
      });
    });
  });
  afterAll(() => server.close());

  const run = async (argv: string[], tty: boolean) => {
    let out = '';
    const code = await runCli({
      argv: [...argv, '--region', 'cn-hangzhou', '--endpoint', server.url],
      env: {
        ...sealedEnv({ ALIBABA_CLOUD_ACCESS_KEY_ID: KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET }),
        ...(tty ? { NO_COLOR: '', TERM: 'xterm' } : {}),
      },
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => (out += t) },
      isTTY: tty,
    });
    return { code, out };
  };

  for (const tty of [false, true]) {
    it(`${tty ? 'TTY with colour' : 'plain, NO_COLOR=1'}: status and wait tables and an API error message show escapes, not control characters`, async () => {
      mode = 'status';
      const status = await run(['status', 'i-a', 'i-b'], tty);
      expect(status.code).toBe(0);
      const wait = await run(
        ['wait', 'i-a', 'i-b', '--min-version', '9.9', '--timeout', '600ms', '--min-delay', '100ms'],
        tty,
      );
      expect(wait.code).toBe(1);
      mode = 'error';
      const error = await run(['status', 'i-a'], tty);
      expect(error.code).toBe(3);
      for (const { out } of [status, wait, error]) {
        const visible = withoutOurColours(out);
        const raw = RAW.exec(visible);
        if (raw !== null)
          expect.fail(
            `raw U+${raw[0].charCodeAt(0).toString(16)} at ${raw.index}: ${JSON.stringify(visible.slice(Math.max(0, raw.index - 40), raw.index + 40))}`,
          );
        expect(out).not.toContain('\u0007');
      }
      // Escaped visibly, so nothing is lost: the forged line cannot pass for ours.
      expect(status.out).toContain('2.2.3\\u001b]0;pwned\\u0007');
      expect(status.out).toContain('Linux\\u009b31m\\u202e');
      expect(error.out).toContain('Denied\\u001b[2J');
      figures.probes += 3;
    });
  }

  it('--json stays valid JSON holding the exact strings, with C1 and bidi controls escaped too', async () => {
    mode = 'status';
    const status = await run(['status', 'i-a', '--json'], false);
    const jsonText = status.out.split('\n').find((l) => l.startsWith('{'))!;
    expect(RAW.test(jsonText)).toBe(false);
    const parsed = JSON.parse(jsonText) as { instances: { cloudAssistantVersion: string; osType: string }[] };
    expect(parsed.instances[0]).toMatchObject({ cloudAssistantVersion: hostile.version, osType: hostile.os });
    mode = 'error';
    const error = await run(['status', 'i-a', '--json'], false);
    const errorJson = error.out.split('\n').find((l) => l.startsWith('{'))!;
    expect(RAW.test(errorJson)).toBe(false);
    expect(JSON.parse(errorJson)).toMatchObject({ exitCode: 3, error: { apiCode: 'Forbidden.RAM' } });
    figures.probes += 2;
  });

  it('an ID file smuggling C1 and bidi controls is named with them escaped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cag-hardening-'));
    try {
      const file = join(dir, 'ids.txt');
      writeFileSync(file, 'i-abc\ni-\u009b2J\u202eevil\n');
      const { out, code } = await run(['status', '--ids-file', file], false);
      expect(code).toBe(2);
      expect(RAW.test(out)).toBe(false);
      expect(out).toContain('\\u009b2J\\u202eevil');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    figures.probes++;
  });
});

describe('item 8: a credential with a control character is a credentials error naming where it came from, never its value', () => {
  let sim: Awaited<ReturnType<typeof startEcsSimulator>>;
  beforeAll(async () => {
    sim = await startEcsSimulator({ instances: [{ id: 'i-abc', onlineAfterMs: 0 }] });
  });
  afterAll(() => sim.close());
  const base = () => ['status', 'i-abc', '--region', sim.region, '--endpoint', sim.url];

  it('one trailing newline (a secret mounted from a file) is tolerated: trimmed, and the call succeeds', async () => {
    const { accessKeyId, accessKeySecret } = sim.credentials;
    for (const [id, secret] of [
      [accessKeyId, `${accessKeySecret}\n`],
      [`${accessKeyId}\r\n`, accessKeySecret],
    ]) {
      const run = await runInProcess(
        base(),
        sealedEnv({ ALIBABA_CLOUD_ACCESS_KEY_ID: id!, ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret! }),
      );
      expect(run.code, run.stderr).toBe(0);
    }
    const sts = sim.stsCredentials!;
    const ecs = createEcsClient({
      region: sim.region,
      endpoint: sim.url,
      credentials: async () => ({ ...sts, securityToken: `${sts.securityToken}\n` }),
    });
    await expect(ecs.describeCloudAssistantStatus({ instanceIds: ['i-abc'] })).resolves.toMatchObject({
      instances: [{ instanceId: 'i-abc' }],
    });
    await ecs.close();
    figures.probes += 3;
  });

  it.each([
    ['ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'Secret\nValue-9f8e7d'],
    ['ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'SecretValue-9f8e7d\n\n'],
    ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'LTAI5t\u0000KeyId'],
    ['ALIBABA_CLOUD_SECURITY_TOKEN', 'CAIS-token\r\nX-Injected: 1'],
    ['ALIBABA_CLOUD_SECURITY_TOKEN', 'CAIS-token\u0085tail'],
  ])(
    '%s holding %j: exit 3 naming the variable (was exit 4, UND_ERR_INVALID_ARG)',
    async (variable, value) => {
      const env: Record<string, string> = {
        ALIBABA_CLOUD_ACCESS_KEY_ID: sim.credentials.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.credentials.accessKeySecret,
        [variable]: value,
      };
      for (const argv of [base(), [...base(), '--json']]) {
        const run = await runInProcess(argv, sealedEnv(env));
        expect(run.code, run.stderr).toBe(3);
        expect(run.stderr).toContain(`Environment variable ${variable} contains a control character`);
        expect(run.stdout + run.stderr).not.toContain('UND_ERR');
        const visible = value.split(/[\u0000-\u001f\u0085]/).filter((p) => p.length >= 4);
        for (const piece of visible) expect(run.stdout + run.stderr).not.toContain(piece);
      }
      figures.probes += 2;
    },
  );

  it('a profile file, a credentials file, a provider, the static option and the metadata service are named the same way', async () => {
    const home = emptyHome();
    mkdirSync(join(home, '.aliyun'));
    writeFileSync(
      join(home, '.aliyun', 'config.json'),
      JSON.stringify({
        current: 'p',
        profiles: [
          {
            name: 'p',
            mode: 'StsToken',
            access_key_id: 'id',
            access_key_secret: 's3cr3tv4lue',
            sts_token: 'tok\nen-value',
          },
        ],
      }),
    );
    const ini = join(home, 'credentials.ini');
    writeFileSync(
      ini,
      '[default]\ntype = access_key\naccess_key_id = id\naccess_key_secret = s3cr\u001bt-value\n',
    );
    const cases: [EcsClientOptions, RegExp][] = [
      [
        {
          region: 'cn-hangzhou',
          credentialsChain: { homeDir: home, env: { ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' } },
        },
        /config\.json, profile "p": sts_token contains a control character \(U\+000A at position 4 of 12\)/,
      ],
      [
        {
          region: 'cn-hangzhou',
          credentialsChain: {
            homeDir: emptyHome(),
            env: { ALIBABA_CLOUD_CREDENTIALS_FILE: ini, ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' },
          },
        },
        /credentials\.ini \(ALIBABA_CLOUD_CREDENTIALS_FILE\), section \[default\]: access_key_secret contains a control character \(U\+001B/,
      ],
      [
        {
          region: 'cn-hangzhou',
          credentials: async () => ({ accessKeyId: 'id', accessKeySecret: 'abc\u0007def' }),
        },
        /The credentials provider result: accessKeySecret contains a control character/,
      ],
    ];
    for (const [options, pattern] of cases) {
      const ecs = createEcsClient({ ...options, endpoint: sim.url });
      const error = await failure(() => ecs.describeCloudAssistantStatus({ instanceIds: ['i-abc'] }));
      await ecs.close();
      expect(error).toMatchObject({ code: 'ECS_CREDENTIALS', retryable: false });
      expect((error as Error).message).toMatch(pattern);
      expect(shownTexts(error).join('\n')).not.toMatch(/s3cr|en-value|abc|t-value/);
      figures.probes++;
    }
    expect(() =>
      createEcsClient({
        region: 'cn-hangzhou',
        credentials: { accessKeyId: 'id', accessKeySecret: 'abc\u009bdef' },
      }),
    ).toThrow(/Option `credentials`: accessKeySecret contains a control character \(U\+009B/);
    figures.probes++;
  });

  it('the metadata service: a token or credential with a control character is a credentials error, one trailing newline is fine', async () => {
    let token = 'imds-token\n';
    let secret = 'imds-secret-value';
    const imds = await startServer((req, res) => {
      if (req.url === '/latest/api/token') {
        res.end(token);
      } else if (req.url === '/latest/meta-data/ram/security-credentials/') {
        res.end('role-a\n');
      } else {
        sendJson(res, 200, {
          Code: 'Success',
          AccessKeyId: 'STS.imds',
          AccessKeySecret: secret,
          SecurityToken: 'imds-sts-token',
          Expiration: '2999-01-01T00:00:00Z',
        });
      }
    });
    try {
      const lookup = async () => {
        const ecs = createEcsClient({
          region: 'cn-hangzhou',
          endpoint: 'http://127.0.0.1:9',
          retry: false,
          timeoutMs: 200,
          credentialsChain: {
            homeDir: emptyHome(),
            env: { ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'false' },
            imdsEndpoint: imds.url,
          },
        });
        const error = await failure(() => ecs.describeCloudAssistantStatus({ instanceIds: ['i-abc'] }));
        await ecs.close();
        return error;
      };
      // Credentials came through (the call then fails on the closed port, a network error).
      expect(await lookup()).toMatchObject({ code: 'ECS_NETWORK_ERROR' });
      expect(
        imds.requests.find((r) => r.url.endsWith('/role-a'))?.headers['x-aliyun-ecs-metadata-token'],
      ).toBe('imds-token');
      token = 'imds\r\ntoken';
      const badToken = await lookup();
      expect(badToken).toMatchObject({ code: 'ECS_CREDENTIALS' });
      expect((badToken as Error).message).toMatch(/the IMDSv2 token contains a control character/);
      token = 'imds-token';
      secret = 'imds\u001bsecret';
      const badSecret = await lookup();
      expect((badSecret as Error).message).toMatch(
        /role "role-a": AccessKeySecret contains a control character/,
      );
      expect(shownTexts(badSecret).join('\n')).not.toContain('secret');
    } finally {
      await imds.close();
    }
    figures.probes += 3;
  });
});

describe('item 10: numbers and sizes are bounded, and the errors name the option', () => {
  it('core refuses timers that would overflow and limits that are not finite', () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const base = {
        region: 'cn-hangzhou',
        credentials: { accessKeyId: 'a', accessKeySecret: 'b' },
      } as const;
      for (const [extra, option] of [
        [{ timeoutMs: 1e12 }, 'timeoutMs'],
        [{ timeoutMs: 2 ** 31 }, 'timeoutMs'],
        [{ keepAliveTimeoutMs: 1e12 }, 'keepAliveTimeoutMs'],
        [{ maxResponseBytes: 2 ** 40 }, 'maxResponseBytes'],
        [{ maxRequestsPerSecond: 1e-9 }, 'maxRequestsPerSecond'],
        [{ retry: { maxTotalMs: Number.POSITIVE_INFINITY } }, 'retry.maxTotalMs'],
        [{ retry: { maxDelayMs: 1e12 } }, 'retry.maxDelayMs'],
        [{ retry: { maxRetryAfterMs: Number.POSITIVE_INFINITY } }, 'retry.maxRetryAfterMs'],
        [{ retry: { baseDelayMs: 2 ** 31 } }, 'retry.baseDelayMs'],
        [{ retry: { maxAttempts: 1e6 } }, 'retry.maxAttempts'],
        [{ credentialsChain: { imdsTimeoutMs: 1e12 } }, 'credentialsChain.imdsTimeoutMs'],
        [
          { credentialsChain: { refreshBeforeExpiryMs: Number.POSITIVE_INFINITY } },
          'credentialsChain.refreshBeforeExpiryMs',
        ],
      ] as const) {
        const options = { ...base, ...extra } as EcsClientOptions;
        if ('credentialsChain' in extra) delete (options as { credentials?: unknown }).credentials;
        expect(() => createEcsClient(options), option).toThrow(RangeError);
        // The option checker names the option in the message and, for programs, in `option`.
        expect(() => createEcsClient(options), option).toThrow(
          new RegExp(`Expected ${option.replace('.', '\\.')} to be`),
        );
        expect(() => createEcsClient(options), option).toThrow(expect.objectContaining({ option }));
        figures.probes++;
      }
      expect(() => createEcsClient({ ...base, timeoutMs: 2 ** 31 - 1 }).close()).not.toThrow();
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it('the waiter refuses a rate whose pause would overflow a timer', () => {
    expect(() =>
      watchCloudAssistant(['i-abc'], { client: async () => [], maxRequestsPerSecond: 1e-9 }),
    ).toThrow(/maxRequestsPerSecond to be a number ≥ 0.001/);
    expect(() => watchCloudAssistant(['i-abc'], { client: async () => [], timeoutMs: 1e12 })).toThrow(
      RangeError,
    );
    figures.probes += 2;
  });

  it('a 9 MB API Message is cut to 1,024 characters in the error (it went whole into the message)', async () => {
    const huge = `Denied: ${'x'.repeat(9 * 1024 * 1024)}`;
    const server = await startServer((_req, res) =>
      sendJson(res, 403, { RequestId: 'r', Code: 'Forbidden.RAM', Message: huge }),
    );
    try {
      const ecs = createEcsClient({
        region: 'cn-hangzhou',
        endpoint: server.url,
        credentials: { accessKeyId: KEY_ID, accessKeySecret: SECRET },
        maxResponseBytes: 16 * 1024 * 1024,
      });
      const error = (await failure(() =>
        ecs.describeCloudAssistantStatus({ instanceIds: ['i-abc'] }),
      )) as Error & {
        apiMessage: string;
      };
      await ecs.close();
      expect(error.apiMessage.length).toBeLessThanOrEqual(1024);
      expect(error.apiMessage.endsWith('…')).toBe(true);
      expect(error.message.length).toBeLessThan(1_300);
      expect(JSON.stringify(error).length).toBeLessThan(3_000);
      figures['apiMessageChars'] = error.apiMessage.length;
    } finally {
      await server.close();
    }
    figures.probes++;
  });

  it('a metadata-service body is read up to 64 KiB, not for the whole timeout (751 MB were read)', async () => {
    let sent = 0;
    const { createServer } = await import('node:http');
    const imds = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        for (;;) {
          sent += chunk.length;
          if (sent > 64 * 1024 * 1024) return res.end();
          if (!res.write(chunk)) break;
        }
        res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    await new Promise<void>((r) => imds.listen(0, '127.0.0.1', r));
    try {
      const started = Date.now();
      const ecs = createEcsClient({
        region: 'cn-hangzhou',
        endpoint: 'http://127.0.0.1:9',
        credentialsChain: {
          homeDir: emptyHome(),
          env: { ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'false' },
          imdsEndpoint: `http://127.0.0.1:${(imds.address() as { port: number }).port}`,
          imdsTimeoutMs: 20_000,
        },
      });
      const error = await failure(() => ecs.describeCloudAssistantStatus({ instanceIds: ['i-abc'] }));
      await ecs.close();
      expect(error).toMatchObject({ code: 'ECS_CREDENTIALS' });
      expect((error as Error).message).toMatch(/more than 65536 bytes; that is not credentials/);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(sent).toBeLessThan(16 * 1024 * 1024);
      figures['imdsBytesSentBeforeRefusal'] = sent;
    } finally {
      imds.closeAllConnections();
      await new Promise((r) => imds.close(r));
    }
    figures.probes++;
  });
});
