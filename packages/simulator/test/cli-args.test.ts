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

  it('suggest the closest flag for a typo, as the gate does', () => {
    expect(() => parseCliArgs(['--instnaces', '5'])).toThrow(
      /^Unknown option "--instnaces"\. Did you mean --instances\?$/,
    );
    expect(() => parseCliArgs(['--never-onlin', '0.1'])).toThrow(/Did you mean --never-online\?/);
    expect(() => parseCliArgs(['--ids-ot', 'x'])).toThrow(/Did you mean --ids-out\?/);
    expect(() => parseCliArgs(['--zzzzzz'])).toThrow(/^Unknown option "--zzzzzz"\.$/);
  });

  it('take --ids-out FILE', () => {
    expect(parseCliArgs(['--ids-out', 'ids.txt']).idsOut).toBe('ids.txt');
    expect(parseCliArgs([]).idsOut).toBeUndefined();
  });

  it.each([
    ['lognormal:90s:0.4', { kind: 'lognormal', medianMs: 90_000, sigma: 0.4 }],
    ['lognormal:90000:0.4', { kind: 'lognormal', medianMs: 90_000, sigma: 0.4 }],
    ['uniform:30s:2m', { kind: 'uniform', minMs: 30_000, maxMs: 120_000 }],
    ['fixed:1m30s', { kind: 'fixed', ms: 90_000 }],
    ['fixed:500ms', { kind: 'fixed', ms: 500 }],
    ['45s', { kind: 'fixed', ms: 45_000 }],
  ])('read --boot %s with durations or bare milliseconds', (text, bootMs) => {
    expect(parseCliArgs(['--boot', text]).options.fleets?.[0]?.bootMs).toEqual(bootMs);
  });

  it.each([
    [
      'lognormal:90x:0.4',
      /--boot: "lognormal:90x:0\.4": the median "90x" is not a time; write 90s, 1m30s, 500ms or a number of ms/,
    ],
    ['lognormal:90s:abc', /sigma "abc" is not a number/],
    ['uniform:2m:30s', /uniform needs 0 ≤ minMs ≤ maxMs/],
    ['fixed:1s1m', /the time "1s1m" is not a time/],
    ['gaussian:1', /expected fixed:TIME, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA/],
  ])('say why a --boot of %s is refused (never a null median)', (text, message) => {
    expect(() => parseCliArgs(['--boot', text])).toThrow(message);
  });

  it('let flags override the scenario file and default to ten instances', () => {
    expect(mergeCliOptions(undefined, {})).toEqual({ fleets: [{ count: 10 }] });
    expect(mergeCliOptions({ speed: 2, instances: [{ id: 'i-a' }] }, { speed: 60 })).toEqual({
      speed: 60,
      instances: [{ id: 'i-a' }],
    });
  });
});
