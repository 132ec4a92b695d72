import type { InstanceStatus } from '@cloud-assistant-gate/core';
import { describe, expect, it } from 'vitest';
import {
  CloudAssistantTimeoutError,
  QuorumUnreachableError,
  ReadinessPredicateError,
  RemediationError,
  SourceUnreachableError,
  StatusSourceError,
  type WaitOutcomeError,
} from '../src/errors.js';
import { type EndedWait, failureError, type WaitFailure } from '../src/failure.js';
import type { RegionClient } from '../src/region-clients.js';
import { regionSlots } from '../src/region-state.js';
import { WaitState } from '../src/wait-state.js';

const reading = (instanceId: string, online: boolean): InstanceStatus => ({
  instanceId,
  cloudAssistantStatus: online,
  cloudAssistantVersion: online ? '2.1.0' : '',
});

/** A wait over three instances at t = 5000: i-a ready, i-b offline, i-c not found and given up on. */
function endedWait(): EndedWait {
  const client: RegionClient = {
    region: 'cn-hangzhou',
    source: async () => [],
    endpoint: 'https://ecs.cn-hangzhou.aliyuncs.com',
    instanceStatus: undefined,
    installAgent: undefined,
    reboot: undefined,
  } as RegionClient;
  const state = new WaitState(
    ['i-a', 'i-b', 'i-c'].map((instanceId) => ({ instanceId, region: undefined })),
    [client],
    { readiness: {}, consecutive: 1, notFound: 'fail', notFoundGraceMs: 0 },
    0,
  );
  const [a, b, c] = state.startRound();
  state.status(a!, reading('i-a', true), 100);
  state.status(b!, reading('i-b', false), 100);
  state.missing(c!, 100);
  return {
    state,
    slots: regionSlots(
      [client],
      { concurrency: 1, now: () => 5000, maxBisectionCallsPerRound: 10 },
      state.counters,
    ),
    required: 2,
    timeoutMs: 5000,
    firstAnswerTimeoutMs: 1000,
    now: 5000,
  };
}

const cases: [WaitFailure, abstract new (...args: never[]) => WaitOutcomeError][] = [
  [{ kind: 'timeout' }, CloudAssistantTimeoutError],
  [{ kind: 'quorum-unreachable' }, QuorumUnreachableError],
  [{ kind: 'source-unreachable' }, SourceUnreachableError],
  [{ kind: 'source', error: new Error('denied') }, StatusSourceError],
  [{ kind: 'predicate', instanceId: 'i-b', error: new Error('bug') }, ReadinessPredicateError],
  [
    { kind: 'remediation-denied', action: 'RebootInstances', error: new Error('Forbidden.RAM') },
    RemediationError,
  ],
];

describe('failureError (the one place a wait failure becomes its public error)', () => {
  it.each(cases)('%o becomes its error, accounting for every ID once', (failure, type) => {
    const error = failureError(failure, endedWait()) as WaitOutcomeError & {
      unreachable?: readonly { instanceId: string }[];
    };
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(Error);
    const pending = [...error.pending, ...(error.unreachable ?? [])].map((p) => p.instanceId);
    expect([...error.ready, ...pending].sort()).toEqual(['i-a', 'i-b', 'i-c']);
    expect(error.ready).toEqual(['i-a']);
    expect(error.required).toBe(2);
    expect(error.rounds).toBe(1);
    expect(error.elapsedMs).toBe(5000);
  });

  it('keeps what the source or the predicate threw as the cause, and names the instance', () => {
    const thrown = new Error('bug');
    const predicate = failureError({ kind: 'predicate', instanceId: 'i-b', error: thrown }, endedWait());
    expect(predicate).toBeInstanceOf(ReadinessPredicateError);
    expect((predicate as ReadinessPredicateError).instanceId).toBe('i-b');
    expect((predicate as Error).cause).toBe(thrown);
    const source = failureError({ kind: 'source', error: thrown }, endedWait());
    expect((source as Error).cause).toBe(thrown);
  });

  it('splits a quorum failure into those given up on and those that could still have become ready', () => {
    const error = failureError({ kind: 'quorum-unreachable' }, endedWait()) as QuorumUnreachableError;
    expect(error.unreachable.map((p) => p.instanceId)).toEqual(['i-c']);
    expect(error.pending.map((p) => p.instanceId)).toEqual(['i-b']);
  });

  it('rejects with a bug of ours as it is', () => {
    const bug = new TypeError('ours');
    expect(failureError({ kind: 'internal', error: bug }, endedWait())).toBe(bug);
  });
});
