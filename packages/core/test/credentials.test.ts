import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultCredentialsProvider, isCredentialsError, resolveDefaultCredentials } from '../src/index.js';
import { json, startServer, type TestServer, text } from './helpers.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'cag-home-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

// Never reach the real metadata service from tests.
const NO_IMDS = { ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' };

async function writeCliConfig(config: unknown): Promise<void> {
  await mkdir(join(home, '.aliyun'), { recursive: true });
  await writeFile(join(home, '.aliyun', 'config.json'), JSON.stringify(config));
}
async function writeIni(
  textContent: string,
  path = join(home, '.alibabacloud', 'credentials'),
): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, textContent);
}

describe('resolveDefaultCredentials: which source won', () => {
  it('names the source, the profile and its region_id, never the secret', async () => {
    await writeCliConfig({
      current: 'p',
      profiles: [
        { name: 'p', mode: 'AK', access_key_id: 'cli', access_key_secret: 's3cr3t', region_id: 'cn-beijing' },
      ],
    });
    const fromProfile = await resolveDefaultCredentials({ homeDir: home, env: NO_IMDS });
    expect(fromProfile.source).toEqual({
      kind: 'aliyun-cli-profile',
      description: `Aliyun CLI profile ${join(home, '.aliyun', 'config.json')}, profile "p"`,
      profile: 'p',
      regionId: 'cn-beijing',
    });
    expect(JSON.stringify(fromProfile.source)).not.toContain('s3cr3t');
    expect(await fromProfile.provider()).toEqual({ accessKeyId: 'cli', accessKeySecret: 's3cr3t' });
    const fromEnv = await resolveDefaultCredentials({
      homeDir: home,
      env: { ...NO_IMDS, ALIBABA_CLOUD_ACCESS_KEY_ID: 'e', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'f' },
    });
    expect(fromEnv.source.kind).toBe('environment');
    await writeIni('[prod]\ntype = access_key\naccess_key_id = i\naccess_key_secret = k\n');
    const fromFile = await resolveDefaultCredentials({
      homeDir: home,
      env: { ...NO_IMDS, ALIBABA_CLOUD_PROFILE: 'prod' },
    });
    expect(fromFile.source).toMatchObject({ kind: 'credentials-file', profile: 'prod' });
  });

  it('throws one CredentialsError listing every place when nothing is found', async () => {
    await expect(resolveDefaultCredentials({ homeDir: home, env: NO_IMDS })).rejects.toSatisfy(
      isCredentialsError,
    );
  });

  it('checks its options as the default chain does', async () => {
    await expect(
      resolveDefaultCredentials({ homedir: home } as unknown as Parameters<
        typeof resolveDefaultCredentials
      >[0]),
    ).rejects.toMatchObject({ name: 'UnknownOptionError', suggestion: 'credentialsChain.homeDir' });
    await expect(resolveDefaultCredentials({ homeDir: home, imdsTimeoutMs: 1e12 })).rejects.toThrow(
      RangeError,
    );
  });

  it('honours its signal: already aborted, and aborted while the metadata service hangs', async () => {
    const reason = new Error('stop');
    await expect(
      resolveDefaultCredentials({ homeDir: home, env: NO_IMDS }, { signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
    const hanging = await startServer();
    hanging.handle(() => new Promise<void>(() => undefined)); // never answers
    try {
      const controller = new AbortController();
      const lookup = resolveDefaultCredentials(
        { homeDir: home, env: {}, imdsEndpoint: hanging.url, imdsTimeoutMs: 60_000 },
        { signal: controller.signal },
      );
      while (hanging.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
      const started = performance.now();
      controller.abort(reason);
      await expect(lookup).rejects.toBe(reason);
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await hanging.close();
    }
  });
});

describe('default credentials chain', () => {
  it('takes the environment variables first, with the STS token', async () => {
    await writeCliConfig({
      current: 'p',
      profiles: [{ name: 'p', mode: 'AK', access_key_id: 'cli', access_key_secret: 's' }],
    });
    const provider = defaultCredentialsProvider({
      homeDir: home,
      env: {
        ...NO_IMDS,
        ALIBABA_CLOUD_ACCESS_KEY_ID: 'env-id',
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'env-secret',
        ALIBABA_CLOUD_SECURITY_TOKEN: 'env-token',
      },
    });
    expect(await provider()).toEqual({
      accessKeyId: 'env-id',
      accessKeySecret: 'env-secret',
      securityToken: 'env-token',
    });
  });

  it('reads the Aliyun CLI current profile, AK and StsToken modes, or ALIBABA_CLOUD_PROFILE', async () => {
    await writeCliConfig({
      current: 'ak',
      profiles: [
        { name: 'ak', mode: 'AK', access_key_id: 'ak-id', access_key_secret: 'ak-secret' },
        {
          name: 'sts',
          mode: 'StsToken',
          access_key_id: 'sts-id',
          access_key_secret: 'sts-secret',
          sts_token: 'tok',
        },
      ],
    });
    expect(await defaultCredentialsProvider({ homeDir: home, env: NO_IMDS })()).toEqual({
      accessKeyId: 'ak-id',
      accessKeySecret: 'ak-secret',
    });
    expect(
      await defaultCredentialsProvider({
        homeDir: home,
        env: { ...NO_IMDS, ALIBABA_CLOUD_PROFILE: 'sts' },
      })(),
    ).toEqual({
      accessKeyId: 'sts-id',
      accessKeySecret: 'sts-secret',
      securityToken: 'tok',
    });
  });

  it('skips the CLI profile when ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true and falls through to the credentials file', async () => {
    await writeCliConfig({
      current: 'ak',
      profiles: [{ name: 'ak', mode: 'AK', access_key_id: 'cli', access_key_secret: 's' }],
    });
    await writeIni(
      '[default]\nenable = true\ntype = access_key\naccess_key_id = ini-id\naccess_key_secret = ini-secret\n',
    );
    const provider = defaultCredentialsProvider({
      homeDir: home,
      env: { ...NO_IMDS, ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true' },
    });
    expect(await provider()).toEqual({ accessKeyId: 'ini-id', accessKeySecret: 'ini-secret' });
  });

  it('reads the INI section named by ALIBABA_CLOUD_PROFILE from ALIBABA_CLOUD_CREDENTIALS_FILE', async () => {
    const file = join(home, 'elsewhere', 'creds');
    await writeIni(
      '# comment\n[default]\ntype = access_key\naccess_key_id = d\naccess_key_secret = d\n[prod]\ntype = access_key\naccess_key_id = prod-id\naccess_key_secret = prod-secret\n',
      file,
    );
    const provider = defaultCredentialsProvider({
      homeDir: home,
      env: { ...NO_IMDS, ALIBABA_CLOUD_CREDENTIALS_FILE: file, ALIBABA_CLOUD_PROFILE: 'prod' },
    });
    expect(await provider()).toEqual({ accessKeyId: 'prod-id', accessKeySecret: 'prod-secret' });
  });

  it('lists every place looked in one CredentialsError when nothing is found', async () => {
    const error = await defaultCredentialsProvider({ homeDir: home, env: NO_IMDS })().catch((e) => e);
    expect(isCredentialsError(error)).toBe(true);
    expect(error.sources).toHaveLength(4);
    expect(error.message).toContain('ALIBABA_CLOUD_ACCESS_KEY_ID');
    expect(error.message).toContain(join(home, '.aliyun', 'config.json'));
    expect(error.message).toContain(join(home, '.alibabacloud', 'credentials'));
    expect(error.message).toContain('ALIBABA_CLOUD_ECS_METADATA_DISABLED');
  });

  it('says why a present source gave nothing, without echoing its secret', async () => {
    await writeCliConfig({
      current: 'x',
      profiles: [{ name: 'x', mode: 'RamRoleArn', access_key_id: 'id', access_key_secret: 'TOPSECRET' }],
    });
    const error = await defaultCredentialsProvider({
      homeDir: home,
      env: { ...NO_IMDS, ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'ENVSECRET' },
    })().catch((e) => e);
    expect(error.message).toMatch(/only the secret is set/);
    expect(error.message).toMatch(/RamRoleArn is not supported/);
    expect(error.message).not.toContain('TOPSECRET');
    expect(error.message).not.toContain('ENVSECRET');
  });
});

describe('ECS RAM role through a loopback metadata service', () => {
  let imds: TestServer;
  beforeAll(async () => {
    imds = await startServer();
  });
  afterAll(async () => {
    await imds.close();
  });
  beforeEach(() => {
    imds.requests.length = 0;
  });

  const roleCredentials = (n: number, expiration: string) =>
    json(200, {
      Code: 'Success',
      AccessKeyId: `STS.id${n}`,
      AccessKeySecret: `secret${n}`,
      SecurityToken: `token${n}`,
      Expiration: expiration,
      LastUpdated: '2024-01-01T00:00:00Z',
    });

  it('gets an IMDSv2 token, discovers the role and fetches its credentials', async () => {
    imds.handle(
      text(200, 'the-token', 'text/plain'),
      text(200, 'MyRole', 'text/plain'),
      roleCredentials(1, '2099-01-01T00:00:00Z'),
    );
    const provider = defaultCredentialsProvider({ homeDir: home, env: {}, imdsEndpoint: imds.url });
    expect(await provider()).toEqual({
      accessKeyId: 'STS.id1',
      accessKeySecret: 'secret1',
      securityToken: 'token1',
    });
    expect(imds.requests.map((r) => [r.method, r.url])).toEqual([
      ['PUT', '/latest/api/token'],
      ['GET', '/latest/meta-data/ram/security-credentials/'],
      ['GET', '/latest/meta-data/ram/security-credentials/MyRole'],
    ]);
    expect(imds.requests[0]!.headers['x-aliyun-ecs-metadata-token-ttl-seconds']).toBe('21600');
    expect(imds.requests[1]!.headers['x-aliyun-ecs-metadata-token']).toBe('the-token');
    expect(imds.requests[2]!.headers['x-aliyun-ecs-metadata-token']).toBe('the-token');
    // Cached until shortly before expiry.
    await provider();
    expect(imds.requests).toHaveLength(3);
  });

  it('refreshes the role credentials before Expiration', async () => {
    let now = Date.parse('2024-01-01T00:00:00Z');
    imds.handle(
      text(200, 't', 'text/plain'),
      roleCredentials(1, '2024-01-01T01:00:00Z'),
      text(200, 't', 'text/plain'),
      roleCredentials(2, '2024-01-01T02:00:00Z'),
    );
    const provider = defaultCredentialsProvider({
      homeDir: home,
      env: { ALIBABA_CLOUD_ECS_METADATA: 'Named' },
      imdsEndpoint: imds.url,
      now: () => now,
      refreshBeforeExpiryMs: 300_000,
    });
    expect((await provider()).accessKeyId).toBe('STS.id1');
    now = Date.parse('2024-01-01T00:54:00Z');
    expect((await provider()).accessKeyId).toBe('STS.id1');
    now = Date.parse('2024-01-01T00:56:00Z');
    expect((await provider()).accessKeyId).toBe('STS.id2');
    expect(imds.requests.filter((r) => r.url.endsWith('/Named'))).toHaveLength(2);
  });

  it('reports an unreachable metadata service as a place looked', async () => {
    const dead = await startServer();
    const url = dead.url;
    await dead.close();
    const error = await defaultCredentialsProvider({ homeDir: home, env: {}, imdsEndpoint: url })().catch(
      (e) => e,
    );
    expect(isCredentialsError(error)).toBe(true);
    expect(error.message).toContain(`metadata service ${url}`);
    expect(error.message).toContain('ECONNREFUSED');
  });
});
