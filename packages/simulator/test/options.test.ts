/**
 * startEcsSimulator's option and scenario checks (src/options.ts, src/fleet/resolve-spec.ts) use
 * core's option checker: every refusal is an option error whose `option` is the refused field's
 * dotted path, and whose message says what the field takes and what it got.
 */
import { isOptionError, OptionRangeError, OptionTypeError } from '@cloud-assistant-gate/core/options';
import { afterEach, describe, expect, it } from 'vitest';
import { type EcsSimulator, type SimulatorOptions, startEcsSimulator } from '../src/index.js';

let sim: EcsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function refusal(options: SimulatorOptions): Promise<Error> {
  const error = await startEcsSimulator(options).then(
    async (s) => {
      await s.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error, 'startEcsSimulator should refuse these options').toBeInstanceOf(Error);
  expect(isOptionError(error)).toBe(true);
  return error as Error;
}

describe('startEcsSimulator refuses bad options with core option errors', () => {
  it.each<[string, SimulatorOptions, string, RegExp, typeof OptionRangeError | typeof OptionTypeError]>([
    [
      'notFoundMode',
      { notFoundMode: 'maybe' as never },
      'notFoundMode',
      /^Expected notFoundMode to be 'error' or 'omit', got "maybe"\.$/,
      OptionRangeError,
    ],
    [
      'reportTimes',
      { reportTimes: 'local' as never },
      'reportTimes',
      /^Expected reportTimes to be 'simulated' or 'wall', got "local"\.$/,
      OptionRangeError,
    ],
    [
      'timestampSkewMs',
      { timestampSkewMs: -1 },
      'timestampSkewMs',
      /^Expected timestampSkewMs to be a number of ms ≥ 0, got -1\.$/,
      OptionRangeError,
    ],
    [
      'speed as text',
      { speed: 'fast' as never },
      'speed',
      /^Expected speed to be a finite number ≥ 0 \(simulated ms per wall ms: 60 runs a minute in a second\), got "fast"\.$/,
      OptionTypeError,
    ],
    [
      'speed below 0',
      { speed: -1 },
      'speed',
      /^Expected speed to be a finite number ≥ 0 .*, got -1\.$/,
      OptionRangeError,
    ],
    [
      'deliveryWindowMs',
      { deliveryWindowMs: Number.POSITIVE_INFINITY },
      'deliveryWindowMs',
      /^Expected deliveryWindowMs to be a number of ms ≥ 0, got Infinity\.$/,
      OptionRangeError,
    ],
    [
      'commandDurationMs as text',
      { commandDurationMs: '2s' as never },
      'commandDurationMs',
      /^Expected commandDurationMs to be a number of ms ≥ 0, got "2s"\.$/,
      OptionTypeError,
    ],
    [
      'an agent error code the schedule owns',
      { faults: { agentErrors: { ClientNotRunning: 0.1 } as never } },
      'faults.agentErrors.ClientNotRunning',
      /^faults\.agentErrors: ClientNotRunning is not one of .*\(ClientNotRunning comes from the agent's schedule\)$/,
      OptionRangeError,
    ],
    [
      'an agent error share over 1',
      { faults: { agentErrors: { DeliveryTimeout: 2 } } },
      'faults.agentErrors.DeliveryTimeout',
      /^Expected faults\.agentErrors\.DeliveryTimeout to be a share between 0 and 1, got 2\.$/,
      OptionRangeError,
    ],
    [
      'agent error shares adding up to more than 1',
      { faults: { agentErrors: { DeliveryTimeout: 0.6, ClientNotResponse: 0.6 } } },
      'faults.agentErrors',
      /^faults\.agentErrors: the shares add up to 1\.2, more than 1$/,
      OptionRangeError,
    ],
    [
      'a fault probability',
      { faults: { internalError: { probability: 1.5 } } },
      'faults.internalError.probability',
      /^Expected faults\.internalError\.probability to be between 0 and 1, got 1\.5\.$/,
      OptionRangeError,
    ],
    [
      'a rate limit of 0',
      { faults: { rateLimit: { ratePerSecond: 0 } } },
      'faults.rateLimit.ratePerSecond',
      /^Expected faults\.rateLimit\.ratePerSecond to be a number > 0, got 0\.$/,
      OptionRangeError,
    ],
    ['now', { now: 5 as never }, 'now', /^Expected now to be a function, got 5\.$/, OptionTypeError],
    [
      'a fleet count',
      { fleets: [{ count: -1 }] },
      'count',
      /^Expected count to be an integer ≥ 0, got -1\.$/,
      OptionRangeError,
    ],
    [
      'a fleet share',
      { fleets: [{ count: 1, managedShare: 2 }] },
      'managedShare',
      /^Expected managedShare to be between 0 and 1, got 2\.$/,
      OptionRangeError,
    ],
    [
      'a fleet OS',
      { fleets: [{ count: 1, osType: 'Mac' as never }] },
      'osType',
      /^Expected osType to be 'Linux', 'Windows' or 'FreeBSD', got "Mac"\.$/,
      OptionRangeError,
    ],
    [
      'OS weights without a positive one',
      { fleets: [{ count: 1, osType: { Linux: 0 } }] },
      'osType',
      /^Expected osType weights to include a positive weight, got \{"Linux":0\}\.$/,
      OptionRangeError,
    ],
    [
      'a fleet distribution',
      { fleets: [{ count: 1, bootMs: { kind: 'fixed', ms: -5 } }] },
      'bootMs',
      /^bootMs: fixed needs ms ≥ 0 \(got \{"kind":"fixed","ms":-5\}\)$/,
      OptionRangeError,
    ],
    [
      'a lifecycle distribution',
      { lifecycle: { stoppingMs: { kind: 'uniform', minMs: 5, maxMs: 1 } } },
      'lifecycle.stoppingMs',
      /^lifecycle\.stoppingMs: uniform needs 0 ≤ minMs ≤ maxMs/,
      OptionRangeError,
    ],
    [
      'an instance OS',
      { instances: [{ osType: 'Mac' as never }] },
      'osType',
      /^Expected osType to be 'Linux', 'Windows' or 'FreeBSD', got "Mac"\.$/,
      OptionRangeError,
    ],
    [
      'an instance runningAfterMs',
      { instances: [{ runningAfterMs: -1 }] },
      'runningAfterMs',
      /^Expected runningAfterMs to be a number of ms ≥ 0, got -1\.$/,
      OptionRangeError,
    ],
    [
      'an instance agentFault',
      { instances: [{ agentFault: 'ClientNotRunning' as never }] },
      'agentFault',
      /^Expected agentFault to be 'ClientNotResponse', 'ClientIsUpgrading', 'DeliveryTimeout' or 'ClientNeedUpgrade', got "ClientNotRunning"\.$/,
      OptionRangeError,
    ],
    [
      'a list that is not a list',
      { scenario: { regions: 'cn-hangzhou' as never } },
      'scenario.regions',
      /^Expected option `scenario\.regions` to be an array of region IDs such as \["cn-hangzhou"\], got string "cn-hangzhou"$/,
      OptionTypeError,
    ],
    [
      'a scenario that is not an object',
      { scenario: 5 as never },
      'scenario',
      /^Expected option `scenario` to be an object, got 5$/,
      OptionTypeError,
    ],
  ])('%s', async (_what, options, option, message, type) => {
    const error = await refusal(options);
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ option, code: 'ERR_INVALID_OPTION' });
    expect(error.message).toMatch(message);
  });

  it('refuses options that are not an object', async () => {
    const error = await refusal(5 as never);
    expect(error).toMatchObject({ option: 'options' });
    expect(error.message).toBe('Expected the simulator options to be an object, got 5');
  });

  it('checks notFoundMode and agent faults set on a running simulator the same way', async () => {
    sim = await startEcsSimulator({ instances: [{ id: 'i-a' }] });
    const s = sim;
    expect(() => {
      s.notFoundMode = 'skip' as never;
    }).toThrow(expect.objectContaining({ option: 'notFoundMode', name: 'OptionRangeError' }));
    expect(s.notFoundMode).toBe('error');
    s.notFoundMode = 'omit';
    expect(s.notFoundMode).toBe('omit');
    expect(() => s.fleet.setAgentFault('i-a', 'Nope' as never)).toThrow(
      expect.objectContaining({ option: 'agentFault', name: 'OptionRangeError' }),
    );
  });

  it('accepts what the defaults say and the documented edge values', async () => {
    sim = await startEcsSimulator({
      timestampSkewMs: Number.POSITIVE_INFINITY,
      deliveryWindowMs: 0,
      fleets: [{ count: 0, managedShare: 1, neverOnlineShare: 0 }],
      instances: [{ runningAfterMs: 0, agentFault: 'DeliveryTimeout' }],
      faults: { agentErrors: { DeliveryTimeout: 0.5, ClientNotResponse: 0.5 } },
      quota: { limits: { '*': 0 }, windowMs: 1 },
    });
    expect(sim.reportTimes).toBe('simulated');
    expect(sim.notFoundMode).toBe('error');
    expect(sim.fleet.size).toBe(1);
  });
});
