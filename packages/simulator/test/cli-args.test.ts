import { describe, expect, it } from 'vitest';
import { mergeCliOptions, parseCliArgs, parseWindow } from '../src/cli-args.js';

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

  it('take the lifecycle, delivery-window and agent-error flags', () => {
    expect(
      parseCliArgs([
        '--instances',
        '20',
        '--stopped',
        '0.25',
        '--os-name',
        'Red Hat Enterprise Linux 9.2 64 bit',
        '--delivery-window',
        '90s',
        '--agent-errors',
        'ClientNotResponse=0.01,DeliveryTimeout=0.02',
        '--throttle',
        '5',
      ]).options,
    ).toEqual({
      deliveryWindowMs: 90_000,
      fleets: [{ count: 20, stoppedShare: 0.25, osName: 'Red Hat Enterprise Linux 9.2 64 bit' }],
      faults: {
        rateLimit: { ratePerSecond: 5, retryAfter: true },
        agentErrors: { ClientNotResponse: 0.01, DeliveryTimeout: 0.02 },
      },
    });
    for (const [text, ms] of [
      ['2m', 120_000],
      ['1m30s', 90_000],
      ['500ms', 500],
      ['45', 45_000],
      ['0', 0],
    ] as const)
      expect(parseCliArgs(['--delivery-window', text]).options).toEqual({ deliveryWindowMs: ms });
  });

  it('reject bad values naming the flag', () => {
    expect(() => parseCliArgs(['--stopped', '1.5'])).toThrow(/--stopped/);
    expect(() => parseCliArgs(['--os-name', ' '])).toThrow(/--os-name/);
    for (const bad of ['soon', '-5s', '30s1m', '1x', ''])
      expect(() => parseCliArgs(['--delivery-window', bad])).toThrow(/--delivery-window/);
    expect(() => parseCliArgs(['--agent-errors', 'ClientNotRunning=0.1'])).toThrow(
      /--agent-errors.*ClientNotResponse/,
    );
    expect(() => parseCliArgs(['--agent-errors', 'ClientNotResponse'])).toThrow(/--agent-errors/);
    expect(() => parseCliArgs(['--agent-errors', 'ClientNotResponse=2'])).toThrow(/--agent-errors/);
    expect(() => parseCliArgs(['--agent-errors', 'ClientNotResponse=0.6,DeliveryTimeout=0.6'])).toThrow(
      /more than 1/,
    );
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

  it('turn repeated --quota flags into one quota with one window', () => {
    const r = parseCliArgs(['--quota', 'DescribeCloudAssistantStatus=600/1m', '--quota', '*=1200']);
    expect(r.options.quota).toEqual({
      limits: { DescribeCloudAssistantStatus: 600, '*': 1200 },
      windowMs: 60_000,
    });
    expect(r.quotaRetryAfter).toBe(false);
    expect(parseCliArgs(['--quota', 'RunCommand=5']).options.quota).toEqual({ limits: { RunCommand: 5 } });
    expect(parseCliArgs(['--quota', 'A=1/10s', '--quota', 'B=2/10s']).options.quota).toEqual({
      limits: { A: 1, B: 2 },
      windowMs: 10_000,
    });
  });

  it('parse quota windows with a unit', () => {
    expect(parseWindow('1m', 'w')).toBe(60_000);
    expect(parseWindow('10s', 'w')).toBe(10_000);
    expect(parseWindow('500ms', 'w')).toBe(500);
    expect(parseWindow('1m30s', 'w')).toBe(90_000);
    expect(parseWindow('1h', 'w')).toBe(3_600_000);
    expect(parseWindow('0.5s', 'w')).toBe(500);
  });

  it('reject bad --quota values, saying what to write', () => {
    expect(() => parseCliArgs(['--quota', 'DescribeCloudAssistantStatus'])).toThrow(
      /expected ACTION=N or ACTION=N\/WINDOW/,
    );
    expect(() => parseCliArgs(['--quota', 'A=-1'])).toThrow(/N must be a whole number of calls/);
    expect(() => parseCliArgs(['--quota', 'A=1.5'])).toThrow(/N must be a whole number of calls/);
    expect(() => parseCliArgs(['--quota', 'A=5/60000'])).toThrow(
      /use a number with a unit \(ms, s, m, h\), e\.g\. 1m/,
    );
    expect(() => parseCliArgs(['--quota', 'A=5/1 minute'])).toThrow(/is not a duration/);
    expect(() => parseCliArgs(['--quota', 'A=5/0s'])).toThrow(/whole number of ms ≥ 1/);
    expect(() => parseCliArgs(['--quota', 'A=5/0.5ms'])).toThrow(/whole number of ms ≥ 1/);
    expect(() => parseCliArgs(['--quota', 'A=5/1m', '--quota', 'B=5/10s'])).toThrow(
      /shares one window, but 1m and 10s differ/,
    );
    expect(() => parseCliArgs(['--quota', 'A=5', '--quota', 'A=6'])).toThrow(/A is given twice/);
  });

  it('merge --quota over the scenario field by field, and --quota-retry-after over either', () => {
    const scenario = { quota: { limits: { A: 1 }, windowMs: 1_000, retryAfter: true } };
    // --quota limits replace the scenario's; its window and retryAfter stay unless given.
    expect(mergeCliOptions(scenario, parseCliArgs(['--quota', 'B=2']).options).quota).toEqual({
      limits: { B: 2 },
      windowMs: 1_000,
      retryAfter: true,
    });
    expect(mergeCliOptions(scenario, parseCliArgs(['--quota', 'B=2/1m']).options).quota).toMatchObject({
      windowMs: 60_000,
    });
    const flags = parseCliArgs(['--quota-retry-after']);
    expect(flags.quotaRetryAfter).toBe(true);
    expect(mergeCliOptions({ quota: { limits: { A: 1 } } }, flags.options, flags).quota).toEqual({
      limits: { A: 1 },
      retryAfter: true,
    });
    const both = parseCliArgs(['--quota', '*=3', '--quota-retry-after']);
    expect(mergeCliOptions(undefined, both.options, both).quota).toEqual({
      limits: { '*': 3 },
      retryAfter: true,
    });
    expect(() => mergeCliOptions(undefined, flags.options, flags)).toThrow(
      /--quota-retry-after needs a quota: give --quota ACTION=N\[\/WINDOW\] or a scenario with "quota"/,
    );
  });
});
