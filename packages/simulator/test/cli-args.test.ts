import { describe, expect, it } from 'vitest';
import { mergeCliOptions, parseCliArgs } from '../src/cli-args.js';

describe('cloud-assistant-gate-sim flags', () => {
  it('turn into simulator options with one fleet', () => {
    const r = parseCliArgs([
      '--instances',
      '50',
      '--boot',
      'uniform:1000:2000',
      '--never-online',
      '0.1',
      '--speed',
      '60',
      '--regions',
      'cn-hangzhou,cn-beijing',
      '--not-found',
      'omit',
      '--throttle',
      '5',
      '--json',
    ]);
    expect(r.json).toBe(true);
    expect(r.options).toEqual({
      speed: 60,
      regions: ['cn-hangzhou', 'cn-beijing'],
      notFoundMode: 'omit',
      fleets: [{ count: 50, bootMs: { kind: 'uniform', minMs: 1000, maxMs: 2000 }, neverOnlineShare: 0.1 }],
      faults: { rateLimit: { ratePerSecond: 5, retryAfter: true } },
    });
  });

  it('take --report-times', () => {
    expect(parseCliArgs(['--report-times', 'wall']).options).toEqual({ reportTimes: 'wall' });
    expect(parseCliArgs(['--report-times', 'simulated']).options).toEqual({ reportTimes: 'simulated' });
  });

  it('reject bad values naming the flag', () => {
    expect(() => parseCliArgs(['--never-online', '2'])).toThrow(/--never-online/);
    expect(() => parseCliArgs(['--boot', 'gaussian:1'])).toThrow(/--boot/);
    expect(() => parseCliArgs(['--not-found', 'maybe'])).toThrow(/--not-found/);
    expect(() => parseCliArgs(['--report-times', 'local'])).toThrow(/--report-times/);
    expect(() => parseCliArgs(['--bogus'])).toThrow();
  });

  it('let flags override the scenario file and default to ten instances', () => {
    expect(mergeCliOptions(undefined, {})).toEqual({ fleets: [{ count: 10 }] });
    expect(mergeCliOptions({ speed: 2, instances: [{ id: 'i-a' }] }, { speed: 60 })).toEqual({
      speed: 60,
      instances: [{ id: 'i-a' }],
    });
  });
});
