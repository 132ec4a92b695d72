/**
 * Secrets never leak: every error path of core and the waiter, and the CLI (--json, --help,
 * debug logging, a wrong secret, an STS token), scanned for the AccessKey secret, the STS token
 * and every signature the requests carried (captured by a recording proxy in front of the
 * simulator). The scan covers messages, stacks, the whole `cause` chain, `util.inspect`,
 * `JSON.stringify`, and all CLI output.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { type Credentials, createEcsClient, type EcsClientOptions } from '@cloud-assistant-gate/core';
import { type EcsSimulator, type FaultOptions, startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { waitForCloudAssistant } from '@cloud-assistant-gate/waiter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, emptyHome, ROOT, runBinary, sealedEnv } from './helpers/cli.js';
import { signaturesOf, startProxy, type TestServer } from './helpers/http.js';

const SECRET = 'Sekr3tMarkerValue0123456789abcdef';
const WRONG_SECRET = 'Wr0ngSekr3tMarker9876543210fedcba';
const STS_SECRET = 'StsSekr3tMarker55555555555555555';
const TOKEN = 'CAIStsTokenMarker+/=abcdefghijklmnopqrstuvwxyz0123456789';
const KEY_ID = 'LTAI5tMarkerKeyId';
const STS_KEY_ID = 'STS.NTMarkerStsKeyId';

let sim: EcsSimulator;
let proxy: TestServer;
const scanned = { texts: 0, errors: 0, cliRuns: 0, signatures: new Set<string>() };

beforeAll(async () => {
  sim = await startEcsSimulator({
    speed: 120,
    seed: 'secrets',
    credentials: [
      { accessKeyId: KEY_ID, accessKeySecret: SECRET },
      { accessKeyId: STS_KEY_ID, accessKeySecret: STS_SECRET, securityToken: TOKEN },
    ],
    fleets: [{ count: 3, bootMs: { kind: 'fixed', ms: 0 } }],
  });
  proxy = await startProxy(sim.url);
});
afterAll(async () => {
  await proxy.close();
  await sim.close();
  console.log(
    `SECRETS-FIGURES ${JSON.stringify({ texts: scanned.texts, errors: scanned.errors, cliRuns: scanned.cliRuns, signatures: scanned.signatures.size })}`,
  );
});

/** Every string that must never appear in output or errors. */
function needles(): string[] {
  for (const r of proxy.requests) for (const s of signaturesOf(r)) scanned.signatures.add(s);
  const base = [SECRET, WRONG_SECRET, STS_SECRET, TOKEN, ...scanned.signatures];
  return [
    ...new Set(base.flatMap((s) => [s, encodeURIComponent(s), encodeURIComponent(encodeURIComponent(s))])),
  ];
}

function leaks(text: string): string[] {
  scanned.texts++;
  return needles().filter((n) => text.includes(n));
}

/** Message, stack, cause chain (and AggregateError members), inspect and JSON of an error. */
function errorTexts(error: unknown): string[] {
  const out: string[] = [inspect(error, { depth: 20 }), inspect(error, { depth: 20, showHidden: true })];
  try {
    out.push(JSON.stringify(error) ?? '');
  } catch {
    // cyclic: inspect covers it
  }
  const seen = new Set<unknown>();
  const walk = (e: unknown, depth: number) => {
    if (depth > 10 || e === null || e === undefined || seen.has(e)) return;
    seen.add(e);
    if (typeof e !== 'object') {
      out.push(String(e));
      return;
    }
    const err = e as { message?: unknown; stack?: unknown; cause?: unknown; errors?: unknown };
    out.push(String(err.message ?? ''), String(err.stack ?? ''));
    for (const [k, v] of Object.entries(e)) {
      if (typeof v === 'string') out.push(`${k}=${v}`);
    }
    walk(err.cause, depth + 1);
    if (Array.isArray(err.errors)) for (const x of err.errors) walk(x, depth + 1);
  };
  walk(error, 0);
  return out;
}

function expectNoLeak(error: unknown): void {
  scanned.errors++;
  const found = errorTexts(error).flatMap(leaks);
  expect([...new Set(found)], `leaked in ${inspect(error).slice(0, 300)}`).toEqual([]);
}

const FAST_RETRY = {
  maxAttempts: 2,
  baseDelayMs: 5,
  throttlingBaseDelayMs: 5,
  maxDelayMs: 20,
  maxTotalMs: 500,
};

function client(credentials: Credentials, extra: Partial<EcsClientOptions> = {}) {
  return createEcsClient({
    region: sim.region,
    endpoint: proxy.url,
    credentials,
    timeoutMs: 300,
    retry: FAST_RETRY,
    ...extra,
  });
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const plain = { accessKeyId: KEY_ID, accessKeySecret: SECRET };
const wrong = { accessKeyId: KEY_ID, accessKeySecret: WRONG_SECRET };
const sts = { accessKeyId: STS_KEY_ID, accessKeySecret: STS_SECRET, securityToken: TOKEN };
const stsWrongSecret = { ...sts, accessKeySecret: WRONG_SECRET };
const stsWrongToken = { ...sts, securityToken: `${TOKEN}X` };

describe('errors of core and the waiter carry no secret, token or signature', () => {
  const credentialCases: [string, Credentials, 'v3' | 'v1'][] = [
    ['a wrong secret (V3)', wrong, 'v3'],
    ['a wrong secret (V1)', wrong, 'v1'],
    ['an STS token with a wrong secret (V3)', stsWrongSecret, 'v3'],
    ['an STS token with a wrong secret (V1, the token is in the string to sign)', stsWrongSecret, 'v1'],
    ['a wrong STS token (V3)', stsWrongToken, 'v3'],
    ['a wrong STS token (V1)', stsWrongToken, 'v1'],
    ['an unknown AccessKey ID', { accessKeyId: 'LTAIunknown', accessKeySecret: SECRET }, 'v3'],
  ];
  it.each(credentialCases)(
    '%s: the core error and the waiter error',
    async (_name, creds, signatureVersion) => {
      const c = client(creds, { signatureVersion });
      const ids = sim.fleet.ids();
      expectNoLeak(await failure(c.describeCloudAssistantStatus({ instanceIds: ids })));
      expectNoLeak(
        await failure(
          c.call('RunCommand', { Type: 'RunShellScript', CommandContent: 'echo hi', InstanceId: ids }),
        ),
      );
      expectNoLeak(await failure(waitForCloudAssistant(ids, { client: c, timeoutMs: 2000, minDelayMs: 20 })));
      expectNoLeak(
        await failure(
          waitForCloudAssistant(ids, {
            region: sim.region,
            endpoint: proxy.url,
            credentials: creds,
            timeoutMs: 2000,
            minDelayMs: 20,
          }),
        ),
      );
      await c.close();
    },
  );

  const faultCases: [string, FaultOptions][] = [
    ['HTTP 500', { internalError: { probability: 1 } }],
    ['HTTP 503', { serviceUnavailable: { probability: 1 } }],
    ['throttling with retry-after', { rateLimit: { ratePerSecond: 0.001, burst: 0, retryAfter: true } }],
    ['a connection reset', { connectionReset: { probability: 1 } }],
    ['an HTML 502', { gateway502: { probability: 1 } }],
    ['truncated JSON', { truncatedJson: { probability: 1 } }],
    ['a schema-breaking 200', { badSchema: { probability: 1 } }],
    ['a stalled body', { stallBody: { probability: 1 } }],
    ['latency past the timeout', { latency: { fixedMs: 1000 } }],
  ];
  it.each(faultCases)('%s, with an STS token: every error on the way', async (_name, faults) => {
    const faulty = await startEcsSimulator({
      seed: 'secret-faults',
      credentials: [{ accessKeyId: STS_KEY_ID, accessKeySecret: STS_SECRET, securityToken: TOKEN }],
      fleets: [{ count: 2, bootMs: { kind: 'fixed', ms: 0 } }],
      faults,
    });
    const front = await startProxy(faulty.url);
    try {
      for (const signatureVersion of ['v3', 'v1'] as const) {
        const c = createEcsClient({
          region: faulty.region,
          endpoint: front.url,
          credentials: sts,
          timeoutMs: 300,
          retry: FAST_RETRY,
          signatureVersion,
        });
        const ids = faulty.fleet.ids();
        expectNoLeak(await failure(c.describeCloudAssistantStatus({ instanceIds: ids })));
        expectNoLeak(
          await failure(waitForCloudAssistant(ids, { client: c, timeoutMs: 700, minDelayMs: 50 })),
        );
        await c.close();
      }
      for (const r of front.requests) for (const s of signaturesOf(r)) scanned.signatures.add(s);
      expect(front.requests.length).toBeGreaterThan(0);
    } finally {
      await front.close();
      await faulty.close();
    }
  });

  it('clock skew beyond the window (InvalidTimeStamp), with an STS token', async () => {
    const c = client(sts, { now: () => Date.now() + 20 * 60_000, signatureVersion: 'v1' });
    expectNoLeak(await failure(c.describeCloudAssistantStatus({ instanceIds: sim.fleet.ids() })));
    await c.close();
  });

  it('a successful wait: the report and the client carry nothing secret either', async () => {
    const c = client(plain);
    const report = await waitForCloudAssistant(sim.fleet.ids(), {
      client: c,
      timeoutMs: 5000,
      minDelayMs: 20,
    });
    expect(report.ready).toHaveLength(3);
    expect(
      leaks(
        `${JSON.stringify(report)}${inspect(report, { depth: 20 })}${inspect(c, { depth: 20, showHidden: true })}`,
      ),
    ).toEqual([]);
    await c.close();
  });

  it('an abort mid-call and a body over the size cap', async () => {
    const c = client(sts, { maxResponseBytes: 50 });
    expectNoLeak(await failure(c.describeCloudAssistantStatus({ instanceIds: sim.fleet.ids() })));
    const ac = new AbortController();
    const p = c.describeCloudAssistantStatus({ instanceIds: sim.fleet.ids(), signal: ac.signal });
    ac.abort(new Error('stop'));
    expectNoLeak(await failure(p));
    await c.close();
  });

  it('a credentials chain that finds only a secret, or broken config files holding it', async () => {
    const home = emptyHome();
    mkdirSync(join(home, '.aliyun'), { recursive: true });
    mkdirSync(join(home, '.alibabacloud'), { recursive: true });
    // Broken JSON right after the secret: JSON.parse messages quote the text around the error.
    writeFileSync(
      join(home, '.aliyun', 'config.json'),
      `{"current":"default","profiles":[{"name":"default","mode":"StsToken","access_key_id":"${STS_KEY_ID}","access_key_secret":"${SECRET}","sts_token":"${TOKEN}",}]`,
    );
    writeFileSync(
      join(home, '.alibabacloud', 'credentials'),
      `[default]\ntype = access_key\naccess_key_secret = ${SECRET}\n[broken\naccess_key_id ${TOKEN}\n`,
    );
    const envs: Record<string, string>[] = [
      { ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET, ALIBABA_CLOUD_SECURITY_TOKEN: TOKEN },
      { ALIBABA_CLOUD_ACCESS_KEY_ID: '', ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET },
      {},
      { ALIBABA_CLOUD_CREDENTIALS_FILE: join(home, '.aliyun', 'config.json') },
    ];
    for (const extra of envs) {
      const env = { ...sealedEnv(extra), HOME: home, ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'false' };
      const c = createEcsClient({
        region: sim.region,
        endpoint: proxy.url,
        credentialsChain: { env, homeDir: home },
        retry: false,
      });
      const error = await failure(c.describeCloudAssistantStatus({ instanceIds: sim.fleet.ids() }));
      expectNoLeak(error);
      await c.close();
    }
  });

  it('the signatures really were captured (the scan is not vacuous)', () => {
    needles();
    expect(scanned.signatures.size).toBeGreaterThan(20);
  });
});

describe('the CLI prints no secret, token or signature', () => {
  beforeAll(() => {
    execFileSync('npx', ['tsc', '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
  }, 180_000);

  const baseArgs = () => [
    '--region',
    sim.region,
    '--endpoint',
    proxy.url,
    '--timeout',
    '3s',
    '--min-delay',
    '50ms',
  ];
  const cases: [string, string[], Record<string, string>][] = [
    ['--help', ['--help'], { ALIBABA_CLOUD_ACCESS_KEY_ID: KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET }],
    [
      'wait --json with the right secret',
      ['wait', '--json'],
      { ALIBABA_CLOUD_ACCESS_KEY_ID: KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET },
    ],
    [
      'wait --json with a wrong secret',
      ['wait', '--json'],
      { ALIBABA_CLOUD_ACCESS_KEY_ID: KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: WRONG_SECRET },
    ],
    [
      'wait with a wrong secret (human output)',
      ['wait'],
      { ALIBABA_CLOUD_ACCESS_KEY_ID: KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: WRONG_SECRET },
    ],
    [
      'status --json with an STS token',
      ['status', '--json'],
      {
        ALIBABA_CLOUD_ACCESS_KEY_ID: STS_KEY_ID,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: STS_SECRET,
        ALIBABA_CLOUD_SECURITY_TOKEN: TOKEN,
      },
    ],
    [
      'wait --json with a wrong STS token',
      ['wait', '--json'],
      {
        ALIBABA_CLOUD_ACCESS_KEY_ID: STS_KEY_ID,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: STS_SECRET,
        ALIBABA_CLOUD_SECURITY_TOKEN: `${TOKEN}X`,
      },
    ],
    [
      'wait --json with debug logging (NODE_DEBUG) and a wrong secret',
      ['wait', '--json'],
      {
        ALIBABA_CLOUD_ACCESS_KEY_ID: KEY_ID,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: WRONG_SECRET,
        NODE_DEBUG: 'undici,fetch,net,http,tls',
        DEBUG: '*',
      },
    ],
  ];
  it.each(cases)('%s', async (_name, args, env) => {
    const ids = sim.fleet.ids();
    const run = await runBinary(
      [...args, ...(args[0] === '--help' ? [] : [...baseArgs(), ...ids])],
      sealedEnv(env),
    );
    scanned.cliRuns++;
    expect([...new Set(leaks(`${run.stdout}\n${run.stderr}`))]).toEqual([]);
    expect(run.code).not.toBe(-1);
  });

  it('credentials read from ~/.aliyun/config.json (not the environment, so no output filter knows them)', async () => {
    const home = emptyHome();
    mkdirSync(join(home, '.aliyun'), { recursive: true });
    for (const [secret, token] of [
      [WRONG_SECRET, TOKEN],
      [STS_SECRET, `${TOKEN}X`],
      [WRONG_SECRET, undefined],
    ] as const) {
      const profile = token
        ? {
            name: 'default',
            mode: 'StsToken',
            access_key_id: STS_KEY_ID,
            access_key_secret: secret,
            sts_token: token,
          }
        : { name: 'default', mode: 'AK', access_key_id: KEY_ID, access_key_secret: secret };
      writeFileSync(
        join(home, '.aliyun', 'config.json'),
        JSON.stringify({ current: 'default', profiles: [profile] }),
      );
      for (const args of [['wait', '--json'], ['wait'], ['status', '--json']]) {
        const env = { ...sealedEnv(), HOME: home, ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'false' };
        const run = await runBinary([...args, ...baseArgs(), ...sim.fleet.ids()], env);
        scanned.cliRuns++;
        expect([...new Set(leaks(`${run.stdout}\n${run.stderr}`))], run.stderr).toEqual([]);
        expect(run.code, run.stderr).toBe(3);
      }
    }
  });

  it('the built binary exists', () => {
    expect(BIN).toMatch(/bin\.js$/);
  });
});
