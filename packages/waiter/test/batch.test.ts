import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_SIZE, toBatches } from '../src/batch.js';
import { InvalidInstanceIdError, isInvalidInstanceIdError } from '../src/errors.js';
import { INSTANCE_ID_PATTERN, parseInstanceIds } from '../src/ids.js';

describe('toBatches', () => {
  it('keeps every id exactly once, in order, in ceil(n/100) batches of at most 100', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 1200 }), (list) => {
        const batches = toBatches(list);
        expect(batches.length).toBe(Math.ceil(list.length / MAX_BATCH_SIZE));
        for (const b of batches) {
          expect(b.length).toBeGreaterThan(0);
          expect(b.length).toBeLessThanOrEqual(100);
        }
        expect(batches.flat()).toEqual(list);
      }),
    );
  });

  it('repacks a shrinking pending set into the fewest batches', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 100 }), (n, size) => {
        const batches = toBatches(
          Array.from({ length: n }, (_, i) => i),
          size,
        );
        expect(batches.length).toBe(Math.ceil(n / size));
        expect(batches.slice(0, -1).every((b) => b.length === size)).toBe(true);
      }),
    );
  });
});

describe('parseInstanceIds', () => {
  it('accepts ECS and managed instance IDs and removes duplicates, keeping first positions', () => {
    expect(
      parseInstanceIds(['i-bp1iudwa5b1tqa0abc', 'mi-hz018jrc1o0abcd', 'i-bp1iudwa5b1tqa0abc', 'mi-ab12']),
    ).toEqual(['i-bp1iudwa5b1tqa0abc', 'mi-hz018jrc1o0abcd', 'mi-ab12']);
  });

  it('refuses upper-case IDs (ECS matches IDs exactly) with the lower-case spelling as a hint', () => {
    const error = (() => {
      try {
        parseInstanceIds(['i-abc', 'I-ABC', 'mi-Hz018', 'I-AB&C']);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInstanceIdError);
    const invalid = (error as InvalidInstanceIdError).invalid;
    expect(invalid.map((e) => [e.index, e.reason])).toEqual([
      [1, 'instance IDs are lower-case: did you mean i-abc?'],
      [2, 'instance IDs are lower-case: did you mean mi-hz018?'],
      [3, 'must be i- or mi- followed by 1 to 64 lower-case letters or digits'],
    ]);
    expect(INSTANCE_ID_PATTERN.test('I-ABC')).toBe(false);
  });

  it('lists every bad id with its index in one error', () => {
    const error = (() => {
      try {
        parseInstanceIds([
          'i-ok1',
          'ecs-1',
          '',
          'i-bp1iudwa5b1tqa****',
          ' i-x',
          'i-ok2',
          42 as unknown as string,
        ]);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInstanceIdError);
    expect(isInvalidInstanceIdError(error)).toBe(true);
    const invalid = (error as InvalidInstanceIdError).invalid;
    expect(invalid.map((e) => e.index)).toEqual([1, 2, 3, 4, 6]);
    expect(invalid[2]?.reason).toMatch(/masked placeholder/);
    expect((error as Error).message).toMatch(/^5 instance IDs are not valid: "ecs-1" at index 1/);
  });

  it('never accepts an id outside the documented shape', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        let ok = true;
        try {
          parseInstanceIds([s]);
        } catch {
          ok = false;
        }
        expect(ok).toBe(/^(?:i|mi)-[a-z0-9]{1,64}$/.test(s));
      }),
    );
  });
});
