/**
 * Regression tests for issue 13 ("Hardening"): one `describe` per reproduced defect, each
 * reproducing the original probe against loopback servers and asserting the fixed behaviour.
 * Item 9 (`client.close()` with the limiter and retry sleep) belongs to the request-budget rewrite.
 */
import {
  closestMatch,
  createEcsClient,
  type EcsClientOptions,
  editDistance,
  UnknownOptionError,
} from '@cloud-assistant-gate/core';
import { startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { waitForCloudAssistant, watchCloudAssistant } from '@cloud-assistant-gate/waiter';
import { afterAll, describe, expect, it } from 'vitest';

const figures = { probes: 0 };
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
