import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitForCloudAssistant, watchCloudAssistant } from '../src/index.js';
import { REGION_ENV_VAR } from '../src/region-clients.js';

const WHAT_TO_DO = 'Pass options.region or options.client, or set ALIBABA_CLOUD_REGION_ID.';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('options are optional: the region from ALIBABA_CLOUD_REGION_ID', () => {
  it('names the variable it reads', () => {
    expect(REGION_ENV_VAR).toBe('ALIBABA_CLOUD_REGION_ID');
  });

  it('without options and without the variable: a TypeError that says what to do, before any call', async () => {
    vi.stubEnv('ALIBABA_CLOUD_REGION_ID', undefined);
    expect(() => watchCloudAssistant(['i-a1'])).toThrow(TypeError);
    expect(() => watchCloudAssistant(['i-a1'])).toThrow(WHAT_TO_DO);
    await expect(waitForCloudAssistant(['i-a1'])).rejects.toThrow(TypeError);
    await expect(waitForCloudAssistant(['i-a1'])).rejects.toThrow(WHAT_TO_DO);
  });

  it('reads the injected env, not process.env, and treats a blank value as unset', async () => {
    vi.stubEnv('ALIBABA_CLOUD_REGION_ID', 'cn-hangzhou');
    for (const env of [{}, { ALIBABA_CLOUD_REGION_ID: '' }, { ALIBABA_CLOUD_REGION_ID: '  ' }]) {
      await expect(waitForCloudAssistant(['i-a1'], { env })).rejects.toThrow(WHAT_TO_DO);
    }
  });

  it('without options, with the variable set: an empty list resolves at once (no client, no call)', async () => {
    vi.stubEnv('ALIBABA_CLOUD_REGION_ID', 'cn-hangzhou');
    const report = await waitForCloudAssistant([]);
    expect(report).toMatchObject({ total: 0, ready: [], apiCalls: 0, rounds: 0 });
  });

  it('validates the region from the environment like options.region', () => {
    expect(() =>
      watchCloudAssistant(['i-a1'], {
        env: { ALIBABA_CLOUD_REGION_ID: 'not a region', ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' },
      }),
    ).toThrow(/region/i);
  });

  it('rejects an env that is not an object', () => {
    expect(() => watchCloudAssistant(['i-a1'], { env: 'cn-hangzhou' as never })).toThrow(
      /^Expected env to be an object of environment variables, got "cn-hangzhou"\.$/,
    );
  });

  it('ignores env with client, and options.region wins over the environment', async () => {
    const report = await waitForCloudAssistant(['i-a1'], {
      client: async (ids) =>
        ids.map((id) => ({ instanceId: id, cloudAssistantStatus: true, cloudAssistantVersion: '2.2.3' })),
      env: {},
    });
    expect(report.ready).toEqual(['i-a1']);
    // A region given explicitly is used even when the environment names another (validated eagerly).
    expect(() =>
      watchCloudAssistant(['i-a1'], {
        region: 'cn-beijing',
        env: { ALIBABA_CLOUD_REGION_ID: 'not a region' },
        credentials: { accessKeyId: 'id', accessKeySecret: 'secret' },
      }),
    ).not.toThrow();
  });
});
