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

  it('let flags override the scenario file and default to ten instances', () => {
    expect(mergeCliOptions(undefined, {})).toEqual({ fleets: [{ count: 10 }] });
    expect(mergeCliOptions({ speed: 2, instances: [{ id: 'i-a' }] }, { speed: 60 })).toEqual({
      speed: 60,
      instances: [{ id: 'i-a' }],
    });
  });
});
