import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveEndpoint, validateRegion } from '../src/endpoints.js';
import { createEcsClient, type EcsClientOptions } from '../src/index.js';
import {
  checkBoolean,
  checkFunction,
  checkInteger,
  checkMilliseconds,
  checkNumber,
  checkObject,
  checkOneOf,
  checkOptionKeys,
  checkString,
  describeValue,
  isOptionError,
  MAX_TIMER_MS,
  type OptionNames,
  OptionRangeError,
  OptionTypeError,
  UnknownOptionError,
} from '../src/options.js';

/** The error `run` throws (fails the test when it throws nothing). */
const thrown = (run: () => unknown): Error => {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
};

/** A CLI's names: flags for two options, and no way to set the `allow*` switches. */
const flags: OptionNames = (option) =>
  ({ timeoutMs: '--timeout', region: '--region', endpoint: '--endpoint' })[option];

describe('the option checks: one sentence, one error shape', () => {
  it.each([
    [
      'Expected timeoutMs to be between 1 and 2147483647 ms, got -1.',
      OptionRangeError,
      () => checkMilliseconds('timeoutMs', -1, { min: 1 }),
    ],
    [
      'Expected timeoutMs to be a number of milliseconds, got "10m".',
      OptionTypeError,
      () => checkMilliseconds('timeoutMs', '10m'),
    ],
    [
      'Expected timeoutMs to be a number of milliseconds, got NaN.',
      OptionTypeError,
      () => checkMilliseconds('timeoutMs', Number.NaN),
    ],
    [
      'Expected timeoutMs to be a whole number of milliseconds, got 1.5.',
      OptionRangeError,
      () => checkMilliseconds('timeoutMs', 1.5, { integer: true }),
    ],
    [
      'Expected timeoutMs to be between 0 and 2147483647 ms, got Infinity.',
      OptionRangeError,
      () => checkMilliseconds('timeoutMs', Number.POSITIVE_INFINITY),
    ],
    [
      'Expected concurrency to be between 1 and 100, got 500.',
      OptionRangeError,
      () => checkInteger('concurrency', 500, { min: 1, max: 100 }),
    ],
    [
      'Expected concurrency to be an integer, got 1.5.',
      OptionRangeError,
      () => checkInteger('concurrency', 1.5, { min: 1 }),
    ],
    [
      'Expected concurrency to be an integer, got "4".',
      OptionTypeError,
      () => checkInteger('concurrency', '4'),
    ],
    [
      'Expected maxConcurrency to be an integer ≥ 1, got 0.',
      OptionRangeError,
      () => checkInteger('maxConcurrency', 0, { min: 1 }),
    ],
    [
      'Expected probability to be between 0 and 1, got 1.5.',
      OptionRangeError,
      () => checkNumber('probability', 1.5, { min: 0, max: 1 }),
    ],
    [
      'Expected rate to be a number ≥ 0.001 (or Infinity for no cap), got 0.',
      OptionRangeError,
      () => checkNumber('rate', 0, { min: 0.001, expected: 'a number ≥ 0.001 (or Infinity for no cap)' }),
    ],
    ['Expected reboot to be a boolean, got "yes".', OptionTypeError, () => checkBoolean('reboot', 'yes')],
    ['Expected now to be a function, got 5.', OptionTypeError, () => checkFunction('now', 5)],
    [
      `Expected notFound to be 'wait' or 'fail', got "skip".`,
      OptionRangeError,
      () => checkOneOf('notFound', 'skip', ['wait', 'fail']),
    ],
    [
      `Expected os to be 'Linux', 'Windows' or 'FreeBSD', got 1.`,
      OptionTypeError,
      () => checkOneOf('os', 1, ['Linux', 'Windows', 'FreeBSD']),
    ],
    ['Expected readiness to be an object, got 5.', OptionTypeError, () => checkObject('readiness', 5)],
    [
      'Expected env to be an object of environment variables, got null.',
      OptionTypeError,
      () => checkObject('env', null, { expected: 'an object of environment variables' }),
    ],
    [
      'Expected osType to be a non-empty string, got "".',
      OptionRangeError,
      () => checkString('osType', '', { nonEmpty: true }),
    ],
  ] as const)('%s', (message, type, run) => {
    const error = thrown(run);
    expect(error).toBeInstanceOf(type);
    expect(error.message).toBe(message);
    expect(isOptionError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });

  it('names the option by its dotted path in `option`, for a CLI to map to its flag', () => {
    const error = thrown(() => checkInteger('retry.maxAttempts', 0, { min: 1, max: 100 }));
    expect(error).toMatchObject({ option: 'retry.maxAttempts', name: 'OptionRangeError' });
  });

  it('says the same in a reader’s terms with messageWith(), without rewriting text', () => {
    const error = thrown(() => checkMilliseconds('timeoutMs', -1, { min: 1 })) as OptionRangeError;
    expect(error.messageWith(flags)).toBe('Expected --timeout to be between 1 and 2147483647 ms, got -1.');
    // A reader without a name for the option gets it as written.
    expect(error.messageWith(() => undefined)).toBe(error.message);
  });

  it('returns the value, or the default for undefined (never for null)', () => {
    expect(checkMilliseconds('timeoutMs', undefined, { default: 5 })).toBe(5);
    expect(checkMilliseconds('timeoutMs', 7, { default: 5 })).toBe(7);
    expect(() => checkMilliseconds('timeoutMs', null, { default: 5 })).toThrow(
      'Expected timeoutMs to be a number of milliseconds, got null.',
    );
    expect(() => checkBoolean('reboot', undefined)).toThrow('got undefined.');
    expect(checkOneOf('notFound', undefined, ['wait', 'fail'], { default: 'wait' })).toBe('wait');
    const now = () => 1;
    expect(checkFunction('now', undefined, { default: now })).toBe(now);
  });

  it('shows values without dumping them: long strings cut, objects and functions by kind', () => {
    expect(describeValue('x'.repeat(100))).toBe(JSON.stringify(`${'x'.repeat(64)}…`));
    expect(describeValue({ secret: 'no' })).toBe('an object');
    expect(describeValue(Object.create(null))).toBe('an object');
    expect(describeValue([1, 2])).toBe('an array');
    expect(describeValue(() => 1)).toBe('a function');
    expect(describeValue(Symbol('s'))).toBe('a symbol');
    expect(describeValue(10n)).toBe('10n');
    expect(describeValue(undefined)).toBe('undefined');
  });

  it('a millisecond option accepts exactly [min, max] (2^31 − 1 by default: a timer overflows above)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.integer({ min: 0, max: 1000 }), (value, min) => {
        const inRange = value >= min && value <= MAX_TIMER_MS;
        let error: unknown;
        try {
          expect(checkMilliseconds('x.yMs', value, { min })).toBe(value);
        } catch (e) {
          error = e;
        }
        if (inRange) expect(error).toBeUndefined();
        else expect(error).toMatchObject({ name: 'OptionRangeError', option: 'x.yMs' });
      }),
    );
  });

  it('an integer option accepts exactly the whole numbers in range', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer(), fc.double()),
        fc.integer({ min: -50, max: 50 }),
        fc.nat(100),
        (value, min, width) => {
          const max = min + width;
          const ok = Number.isInteger(value) && value >= min && value <= max;
          const run = () => checkInteger('n', value, { min, max });
          if (ok) expect(run()).toBe(value);
          else expect(run).toThrow(Number.isNaN(value) ? OptionTypeError : OptionRangeError);
        },
      ),
    );
  });
});

describe('unknown keys', () => {
  it('names the key and the closest valid one, with its path when nested', () => {
    const error = thrown(() =>
      checkOptionKeys({ consecutiv: 2 }, ['consecutive', 'osType'], 'options.readiness', 'readiness.'),
    );
    expect(error).toBeInstanceOf(UnknownOptionError);
    expect(error).toMatchObject({
      code: 'ERR_UNKNOWN_OPTION',
      option: 'readiness.consecutiv',
      suggestion: 'readiness.consecutive',
    });
    expect(isOptionError(error)).toBe(true);
    expect(error.message).toBe(
      'Unknown option `readiness.consecutiv` for options.readiness; did you mean `readiness.consecutive`?',
    );
  });

  it('lists the valid keys when none is close', () => {
    expect(() => checkOptionKeys({ zzzzzz: 1 }, ['timeoutMs', 'signal'], 'f')).toThrow(
      'Unknown option `zzzzzz` for f; valid options are `timeoutMs`, `signal`',
    );
  });
});

describe('isOptionError', () => {
  it('is false for other errors and non-errors', () => {
    expect(isOptionError(new TypeError('x'))).toBe(false);
    expect(isOptionError({ code: 'ERR_INVALID_OPTION' })).toBe(false);
    expect(isOptionError(null)).toBe(false);
    expect(isOptionError('ERR_INVALID_OPTION')).toBe(false);
  });
});

describe("core's own options go through the checker", () => {
  const base = { region: 'cn-hangzhou', credentials: { accessKeyId: 'a', accessKeySecret: 'b' } } as const;

  it.each([
    [{ timeoutMs: 0 }, 'timeoutMs', 'Expected timeoutMs to be between 1 and 2147483647 ms, got 0.'],
    [{ timeoutMs: 1.5 }, 'timeoutMs', 'Expected timeoutMs to be a whole number of milliseconds, got 1.5.'],
    [{ maxConcurrency: 1.5 }, 'maxConcurrency', 'Expected maxConcurrency to be an integer, got 1.5.'],
    [
      { maxResponseBytes: 2 ** 40 },
      'maxResponseBytes',
      'Expected maxResponseBytes to be between 1 and 268435456, got 1099511627776.',
    ],
    [
      { signatureVersion: 'v2' },
      'signatureVersion',
      `Expected signatureVersion to be 'v3' or 'v1', got "v2".`,
    ],
    [
      { maxRequestsPerSecond: 1e-9 },
      'maxRequestsPerSecond',
      'Expected maxRequestsPerSecond to be a number ≥ 0.001 (or Infinity for no cap), got 1e-9.',
    ],
    [
      { retry: { maxAttempts: 1e6 } },
      'retry.maxAttempts',
      'Expected retry.maxAttempts to be between 1 and 100, got 1000000.',
    ],
    [
      { retry: { maxTotalMs: Number.POSITIVE_INFINITY } },
      'retry.maxTotalMs',
      'Expected retry.maxTotalMs to be between 0 and 2147483647 ms, got Infinity.',
    ],
    [{ now: 5 }, 'now', 'Expected now to be a function, got 5.'],
    [
      { credentials: 'a-secret-string' },
      'credentials',
      'Expected credentials to be an object or a function, got string.',
    ],
  ] as const)('%j → %s', (extra, option, message) => {
    const error = thrown(() => createEcsClient({ ...base, ...extra } as unknown as EcsClientOptions));
    expect(error).toMatchObject({ option, message });
    expect(isOptionError(error)).toBe(true);
    expect(error.message).not.toContain('a-secret-string');
  });

  it('a chain option is named with its path', () => {
    const error = thrown(() =>
      createEcsClient({ region: 'cn-hangzhou', credentialsChain: { imdsTimeoutMs: 1e12 } }),
    );
    expect(error).toMatchObject({ option: 'credentialsChain.imdsTimeoutMs', name: 'OptionRangeError' });
  });

  it('region and endpoint errors offer in a CLI’s terms only what the CLI can set', () => {
    const unknown = thrown(() => validateRegion('cn-hangzou', false)) as OptionRangeError;
    expect(unknown.message).toBe(
      'region "cn-hangzou" is not a known ECS region. Did you mean "cn-hangzhou" or "cn-guangzhou"? For a new region pass endpoint (e.g. "ecs.cn-hangzou.aliyuncs.com") or allowUnknownRegion: true.',
    );
    expect(unknown.messageWith(flags)).toBe(
      '--region "cn-hangzou" is not a known ECS region. Did you mean "cn-hangzhou" or "cn-guangzhou"? For a new region pass --endpoint (e.g. "ecs.cn-hangzou.aliyuncs.com").',
    );
    const insecure = thrown(() =>
      resolveEndpoint('cn-hangzhou', 'http://ecs.example.com', false),
    ) as OptionRangeError;
    expect(insecure.message).toBe(
      'endpoint "http://ecs.example.com" uses plain http:// to a non-loopback host; use https:// or set allowInsecureHttp: true.',
    );
    expect(insecure.messageWith(flags)).toBe(
      '--endpoint "http://ecs.example.com" uses plain http:// to a non-loopback host: use https://, or http:// only to 127.0.0.1 or localhost (the simulator).',
    );
    const userinfo = thrown(() => resolveEndpoint('cn-hangzhou', 'https://user:pass@ecs.example.com', false));
    expect(userinfo.message).not.toContain('pass');
    expect(userinfo).toMatchObject({ option: 'endpoint', name: 'OptionRangeError' });
  });
});
