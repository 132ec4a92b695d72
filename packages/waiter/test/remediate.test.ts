import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dryRunAction, type InstallErrorKind, installErrorKind, installIsolating } from '../src/remediate.js';
import { FakeApiError } from './fleet.js';

describe('installIsolating', () => {
  it('installs every good ID once and isolates each refused one, in at most 1 + 2·k·ceil(log2 n) and 2n − 1 calls (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 50 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: n })),
          ),
        async ([n, badIdx]) => {
          const ids = Array.from({ length: n }, (_, i) => `i-r${i}`);
          const bad = new Set(badIdx.map((i) => ids[i]!));
          const installedBy: string[] = [];
          let calls = 0;
          const result = await installIsolating(ids, async (subset) => {
            calls++;
            expect(subset.length).toBeGreaterThan(0);
            expect(subset.length).toBeLessThanOrEqual(50);
            if (subset.some((id) => bad.has(id))) throw new FakeApiError('Operation.Forbidden', false, 403);
            installedBy.push(...subset);
          });
          expect(result.calls).toBe(calls);
          expect(new Set(result.installed)).toEqual(new Set(ids.filter((id) => !bad.has(id))));
          expect(installedBy.sort()).toEqual(result.installed.slice().sort()); // each good ID sent in one successful call
          expect(result.failed.map((f) => f.id).sort()).toEqual([...bad].sort());
          expect(result.failed.every((f) => f.kind === 'per-instance')).toBe(true);
          const k = bad.size;
          expect(calls).toBeLessThanOrEqual(1 + 2 * k * Math.ceil(Math.log2(n)));
          expect(calls).toBeLessThanOrEqual(2 * n - 1);
        },
      ),
    );
  });

  it.each([
    ['Forbidden.RAM', 'denied'],
    ['ServiceUnavailable', 'transient'],
  ] as const)(
    'does not split a batch failing with %s (%s): every ID gets it, one call',
    async (code, kind) => {
      const ids = ['i-a', 'i-b', 'i-c', 'i-d'];
      const error = new FakeApiError(code, kind === 'transient', kind === 'transient' ? 503 : 403);
      let calls = 0;
      const result = await installIsolating(ids, async () => {
        calls++;
        throw error;
      });
      expect(calls).toBe(1);
      expect(result.failed).toEqual(ids.map((id) => ({ id, error, kind })));
    },
  );

  it('stops at once when the signal aborts, rejecting with its reason', async () => {
    const ac = new AbortController();
    const reason = new Error('deadline');
    const pending = installIsolating(
      ['i-a', 'i-b'],
      async () => {
        ac.abort(reason);
        throw new FakeApiError('Operation.Forbidden', false, 403);
      },
      installErrorKind,
      ac.signal,
    );
    await expect(pending).rejects.toBe(reason);
  });
});

describe('installErrorKind', () => {
  it.each<[unknown, InstallErrorKind]>([
    [new FakeApiError('Forbidden.RAM', false, 403), 'denied'],
    [new FakeApiError('Forbidden.NoPermission', false, 403), 'denied'],
    [new FakeApiError('InvalidAccessKeyId.NotFound', false, 404), 'denied'],
    [new FakeApiError('SignatureDoesNotMatch', false, 400), 'denied'],
    [{ code: 'ECS_CREDENTIALS', retryable: false }, 'denied'],
    [new FakeApiError('Operation.Forbidden', false, 403), 'per-instance'],
    [new FakeApiError('IncorrectInstanceStatus', false, 403), 'per-instance'],
    [new FakeApiError('InvalidInstance.NotFound', false, 404), 'per-instance'],
    [new FakeApiError('InternalError.Dispatch', true, 500), 'transient'],
    [new FakeApiError('Throttling.User', true, 400), 'transient'],
    [{ code: 'ECONNRESET' }, 'transient'],
  ])('%s → %s', (error, kind) => {
    expect(installErrorKind(error)).toBe(kind);
  });
});

describe('dryRunAction', () => {
  const agent = (over: Partial<{ online: boolean; version: string; beat: string }> = {}) => ({
    instanceId: 'i-a',
    cloudAssistantStatus: over.online ?? false,
    cloudAssistantVersion: over.version ?? '',
    ...(over.beat === undefined ? {} : { lastHeartbeatTime: over.beat }),
  });
  it.each([
    [agent(), 'Running', true, 'install-and-reboot'],
    [agent(), 'Running', false, 'install'],
    [agent({ online: true, version: '2.2.3' }), 'Running', true, 'none'],
    [agent({ beat: '2026-01-01T00:00:00Z' }), 'Running', true, 'none'],
    [agent({ version: '2.2.3' }), 'Running', true, 'none'],
    [agent(), 'Stopped', true, 'none'],
    [agent(), undefined, true, 'none'],
    [undefined, undefined, true, 'none'],
  ] as const)('%j in %s with reboot %s → %s', (status, lifecycle, reboot, action) => {
    expect(dryRunAction(status, lifecycle, reboot).action).toBe(action);
  });
});
