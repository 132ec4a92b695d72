import { describe, expect, it, vi } from 'vitest';
import {
  isCloudAssistantTimeoutError,
  isSourceUnreachableError,
  type SourceUnreachableError,
  waitForCloudAssistant,
} from '../src/index.js';
import { FakeApiError, fakeFleet, ids, now, settle, step, useFakeClock } from './fleet.js';

useFakeClock();

/** Shaped like core's EcsNetworkError for a refused connection. */
class FakeNetworkError extends Error {
  readonly code = 'ECS_NETWORK_ERROR';
  readonly retryable = true;
  constructor(readonly causeCode = 'ECONNREFUSED') {
    super(`ECS DescribeCloudAssistantStatus to 127.0.0.1:1 failed: network error ${causeCode}`);
  }
}

describe('firstAnswerTimeoutMs: a broken setup fails fast', () => {
  it('rejects after 60 s (the default) with the last error, its cause code and the endpoint', async () => {
    let calls = 0;
    const source = async () => {
      calls++;
      throw new FakeNetworkError();
    };
    const started = Date.now();
    const result = await settle(
      waitForCloudAssistant(ids(3), {
        client: { statusSource: source, endpoint: 'http://127.0.0.1:1' } as never,
      }),
      step,
    );
    expect(result.ok).toBe(false);
    const error = (result as { error: SourceUnreachableError }).error;
    expect(isSourceUnreachableError(error)).toBe(true);
    expect(error.code).toBe('WAITER_SOURCE_UNREACHABLE');
    expect(Date.now() - started).toBeGreaterThanOrEqual(60_000);
    expect(Date.now() - started).toBeLessThan(61_000);
    expect(error.message).toMatch(
      /^No answer from the ECS API at http:\/\/127\.0\.0\.1:1 in the first 60 s \(\d+ failed calls, the last with ECS_NETWORK_ERROR \(ECONNREFUSED\)\); check the endpoint and region, the network and any proxy, or raise firstAnswerTimeoutMs\.$/,
    );
    expect(error.message).not.toMatch(/install/);
    expect(
      error.messageWith((o) => (o === 'firstAnswerTimeoutMs' ? '--first-answer-timeout' : undefined)),
    ).toBe(error.message.replace('raise firstAnswerTimeoutMs', 'raise --first-answer-timeout'));
    expect(error.lastErrorCode).toBe('ECS_NETWORK_ERROR');
    expect(error.lastErrorCauseCode).toBe('ECONNREFUSED');
    expect(error.endpoint).toBe('http://127.0.0.1:1');
    expect(error.cause).toBeInstanceOf(FakeNetworkError);
    expect(error.firstAnswerTimeoutMs).toBe(60_000);
    // Every ID is accounted for, with why it is not ready.
    expect(error.ready).toEqual([]);
    expect(error.pending.map((p) => p.instanceId)).toEqual(ids(3));
    expect(error.pending[0]?.reason).toMatch(/^errors: ECS_NETWORK_ERROR/);
    expect(error.apiCalls).toBe(calls);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('says so when the first call has not even failed yet (a server that never answers)', async () => {
    const source = (_ids: readonly string[], { signal }: { signal: AbortSignal }) =>
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const result = await settle(
      waitForCloudAssistant(ids(1), { client: source, firstAnswerTimeoutMs: 5_000 }),
      step,
    );
    const error = (result as { error: SourceUnreachableError }).error;
    expect(isSourceUnreachableError(error)).toBe(true);
    expect(error.message).toMatch(/in the first 5 s \(the first call is still waiting for an answer\)/);
    expect(error.lastErrorCode).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not fire once the API has answered, even if it fails afterwards: the deadline decides', async () => {
    let calls = 0;
    const fleet = fakeFleet({ now, onlineAfterMs: () => Number.POSITIVE_INFINITY });
    const source = async (list: readonly string[], opts: { signal: AbortSignal }) => {
      calls++;
      if (calls === 1) return fleet.source(list, opts);
      throw new FakeNetworkError('ECONNRESET');
    };
    const result = await settle(
      waitForCloudAssistant(ids(2), { client: source, timeoutMs: 120_000, firstAnswerTimeoutMs: 10_000 }),
      step,
    );
    const error = (result as { error: unknown }).error;
    expect(isCloudAssistantTimeoutError(error)).toBe(true);
  });

  it.each([
    ['a throttled answer', new FakeApiError('Throttling.User', true, 400)],
    ['an InvalidInstance.NotFound answer', new FakeApiError('InvalidInstance.NotFound', false, 404)],
  ])('counts %s as an answer (the endpoint and credentials work)', async (_name, failure) => {
    const source = async () => {
      throw failure;
    };
    const result = await settle(
      waitForCloudAssistant(ids(1), {
        client: source,
        timeoutMs: 30_000,
        firstAnswerTimeoutMs: 5_000,
        maxBisectionCallsPerRound: 1,
      }),
      step,
    );
    const error = (result as { error: unknown }).error;
    expect(isSourceUnreachableError(error)).toBe(false);
  });

  it('Infinity, or a value not below timeoutMs, turns it off', async () => {
    const source = async () => {
      throw new FakeNetworkError();
    };
    for (const firstAnswerTimeoutMs of [Number.POSITIVE_INFINITY, 30_000]) {
      const result = await settle(
        waitForCloudAssistant(ids(1), { client: source, timeoutMs: 30_000, firstAnswerTimeoutMs }),
        step,
      );
      expect(isCloudAssistantTimeoutError((result as { error: unknown }).error)).toBe(true);
    }
  });

  it('refuses a bad value before any call', async () => {
    await expect(() =>
      waitForCloudAssistant(ids(1), { client: async () => [], firstAnswerTimeoutMs: 0 }),
    ).rejects.toThrow(/firstAnswerTimeoutMs to be between 1 and/);
  });
});

describe('firstAnswerTimeoutMs over several regions', () => {
  const refusing = async () => {
    throw new FakeNetworkError();
  };

  it('fails fast only when no region answered, naming each region asked and its endpoint', async () => {
    const result = await settle(
      waitForCloudAssistant(['cn-a:i-a1', 'cn-b:i-b1'], {
        clients: {
          'cn-a': { statusSource: refusing, endpoint: 'http://127.0.0.1:1' } as never,
          'cn-b': { statusSource: refusing, endpoint: 'http://127.0.0.1:2' } as never,
        },
        firstAnswerTimeoutMs: 5_000,
      }),
      step,
    );
    const error = (result as { error: SourceUnreachableError }).error;
    expect(isSourceUnreachableError(error)).toBe(true);
    expect(error.regions).toEqual([
      { region: 'cn-a', endpoint: 'http://127.0.0.1:1' },
      { region: 'cn-b', endpoint: 'http://127.0.0.1:2' },
    ]);
    expect(error.endpoint).toBeUndefined();
    expect(error.message).toMatch(
      /^No answer from the ECS API in any of 2 regions \(cn-a at http:\/\/127\.0\.0\.1:1, cn-b at http:\/\/127\.0\.0\.1:2\) in the first 5 s \(\d+ failed calls, the last with ECS_NETWORK_ERROR \(ECONNREFUSED\)\)/,
    );
    expect(error.pending.map((p) => p.instanceId)).toEqual(['i-a1', 'i-b1']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not blame a region no ID was tried in: bare IDs never reach the second region while the first is silent', async () => {
    let second = 0;
    const result = await settle(
      waitForCloudAssistant(['i-x1', 'i-x2'], {
        clients: {
          'cn-a': { statusSource: refusing, endpoint: 'http://127.0.0.1:1' } as never,
          'cn-b': {
            statusSource: async () => {
              second++;
              return [];
            },
            endpoint: 'http://127.0.0.1:2',
          } as never,
        },
        firstAnswerTimeoutMs: 5_000,
      }),
      step,
    );
    const error = (result as { error: SourceUnreachableError }).error;
    expect(isSourceUnreachableError(error)).toBe(true);
    expect(second).toBe(0);
    expect(error.regions).toEqual([{ region: 'cn-a', endpoint: 'http://127.0.0.1:1' }]);
    expect(error.endpoint).toBe('http://127.0.0.1:1');
    expect(error.message).toMatch(/^No answer from the ECS API at http:\/\/127\.0\.0\.1:1 in the first 5 s/);
  });

  it('one region answering is enough: a silent one shows as its instances’ errors at the deadline', async () => {
    const fleet = fakeFleet({ now, onlineAfterMs: () => 0 });
    const result = await settle(
      waitForCloudAssistant(['cn-a:i-a1', 'cn-b:i-b1'], {
        clients: { 'cn-a': fleet.source, 'cn-b': refusing },
        timeoutMs: 30_000,
        firstAnswerTimeoutMs: 5_000,
      }),
      step,
    );
    const error = (result as { error: unknown }).error;
    expect(isCloudAssistantTimeoutError(error)).toBe(true);
    if (!isCloudAssistantTimeoutError(error)) return;
    expect(error.ready).toEqual(['i-a1']);
    expect(error.pending).toEqual([
      expect.objectContaining({
        instanceId: 'i-b1',
        region: 'cn-b',
        reason: expect.stringMatching(/^errors: ECS_NETWORK_ERROR/),
      }),
    ]);
  });
});
