import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatClock,
  formatDuration,
  formatFlagDuration,
  MAX_DURATION_MS,
  parseDuration,
} from '../src/cli/duration.js';
import { CliUsageError } from '../src/cli/errors.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['2m30s', 150_000],
    ['1h2m3s4ms', 3_723_004],
    ['1.5s', 1500],
    ['.5m', 30_000],
    ['0', 0],
    ['0s', 0],
    ['45', 45_000],
    ['2.5', 2500],
    ['  10m ', 600_000],
  ])('reads %j as %i ms', (text, ms) => {
    expect(parseDuration(text, '--timeout')).toBe(ms);
  });

  it.each(['', ' ', '10', 'x'].slice(0, 2))('refuses an empty value %j, naming the flag', (text) => {
    expect(() => parseDuration(text, '--timeout')).toThrow(/--timeout needs a duration/);
  });

  it('refuses a negative duration as negative, not as a missing value', () => {
    expect(() => parseDuration('-5s', 'CLOUD_ASSISTANT_GATE_TIMEOUT')).toThrow(
      /^CLOUD_ASSISTANT_GATE_TIMEOUT: "-5s" is negative; a duration is zero or more, e\.g\. 5s\.$/,
    );
  });

  it.each(['10x', '10 m', 'm', '1h 30m', '10M', 'ten minutes', '1e3s', 'Infinity', '5d'])(
    'refuses %j with an example of what works',
    (text) => {
      expect(() => parseDuration(text, 'CLOUD_ASSISTANT_GATE_TIMEOUT')).toThrow(
        /^CLOUD_ASSISTANT_GATE_TIMEOUT: ".*" is not a duration; use a number with a unit, e\.g\. 500ms, 90s, 10m/,
      );
    },
  );

  it.each(['30m1h', '1m1m', '5s5ms2s'])('refuses units out of order or repeated (%j)', (text) => {
    expect(() => parseDuration(text, '--timeout')).toThrow(/largest first, each once/);
  });

  it('refuses durations that would overflow a timer', () => {
    expect(parseDuration(`${MAX_DURATION_MS}ms`, '--timeout')).toBe(MAX_DURATION_MS);
    expect(() => parseDuration('597h', '--timeout')).toThrow(/too long; the maximum is 596h31m/);
    expect(() => parseDuration('9'.repeat(400), '--timeout')).toThrow(/too long/);
  });

  it('throws only CliUsageError, or returns a whole number of ms in range, for any string', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.stringMatching(/^[\d.]{0,6}(h|m|s|ms)?([\d.]{0,4}(m|s|ms))?$/)),
        (text) => {
          try {
            const ms = parseDuration(text, '--x');
            expect(Number.isInteger(ms)).toBe(true);
            expect(ms).toBeGreaterThanOrEqual(0);
            expect(ms).toBeLessThanOrEqual(MAX_DURATION_MS);
          } catch (error) {
            expect(error).toBeInstanceOf(CliUsageError);
            expect((error as Error).message.startsWith('--x')).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads back what formatDuration writes, to within its rounding', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_DURATION_MS }), (ms) => {
        const back = parseDuration(formatDuration(ms), '--x');
        // formatDuration keeps 2-3 significant units: within 1 % or one unit of the smallest shown.
        expect(Math.abs(back - ms)).toBeLessThanOrEqual(
          Math.max(100, ms * 0.02, ms >= 3_600_000 ? 60_000 : 0),
        );
      }),
    );
  });
});

describe('formatDuration and formatClock', () => {
  it.each([
    [0, '0ms'],
    [-5, '0ms'],
    [850, '850ms'],
    [1234, '1.2s'],
    [12_345, '12s'],
    [125_000, '2m05s'],
    [3_720_000, '1h02m'],
  ])('formats %i ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    [0, '0:00'],
    [7_900, '0:07'],
    [754_000, '12:34'],
    [3_723_000, '1:02:03'],
  ])('shows %i ms on the clock as %j', (ms, text) => {
    expect(formatClock(ms)).toBe(text);
  });
});

describe('formatFlagDuration', () => {
  it('says a duration as a flag would take it, in its largest whole unit', () => {
    expect(formatFlagDuration(0)).toBe('0s'); // was "0h"
    expect(formatFlagDuration(1500)).toBe('1500ms');
    expect(formatFlagDuration(5000)).toBe('5s');
    expect(formatFlagDuration(120_000)).toBe('2m');
    expect(formatFlagDuration(7_200_000)).toBe('2h');
  });

  it('reads back as the same duration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 * 3_600_000 }), (ms) => {
        expect(parseDuration(formatFlagDuration(ms), '--timeout')).toBe(ms);
      }),
    );
  });
});
