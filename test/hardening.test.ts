/**
 * Regression tests for issue 13 ("Hardening"): one `describe` per reproduced defect, each
 * reproducing the original probe against loopback servers and asserting the fixed behaviour.
 * Item 9 (`client.close()` with the limiter and retry sleep) belongs to the request-budget rewrite.
 */

import { spawn } from 'node:child_process';
import { inspect } from 'node:util';
import * as EcsModule from '@alicloud/ecs20140526';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import {
  closestMatch,
  createEcsClient,
  type EcsClientOptions,
  editDistance,
  UnknownOptionError,
} from '@cloud-assistant-gate/core';
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
import { ROOT, runInProcess, sealedEnv } from './helpers/cli.js';
import {
  requestedIds,
  sendJson,
  signaturesOf,
  startServer,
  statusBody,
  type TestServer,
} from './helpers/http.js';

const figures: Record<string, number> = { probes: 0 };
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
const SECRET = 'HardeningSecretValue0123456789ab';
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
    expect(error).toMatchObject({ ready: [], pending: [{ instanceId: 'i-abc', reason: 'not-installed' }] });
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
      expect(JSON.parse(wait.stdout).notReady).toEqual([{ instanceId: 'i-b149', reason: 'agent-offline' }]);
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
