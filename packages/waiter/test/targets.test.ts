import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInstanceIdError } from '../src/errors.js';
import { parseInstanceTargets, REGION_ID_PATTERN, regionsOf } from '../src/targets.js';

describe('parseInstanceTargets', () => {
  it('reads bare IDs, region:id strings and { instanceId, region } objects, in order', () => {
    expect(
      parseInstanceTargets([
        'i-bp1a',
        'cn-beijing:i-2zeb',
        { instanceId: 'mi-c1', region: 'ap-southeast-1' },
        { instanceId: 'i-d' },
      ]),
    ).toEqual([
      { instanceId: 'i-bp1a', region: undefined },
      { instanceId: 'i-2zeb', region: 'cn-beijing' },
      { instanceId: 'mi-c1', region: 'ap-southeast-1' },
      { instanceId: 'i-d', region: undefined },
    ]);
  });

  it('merges duplicates at the first position, keeping a region given later', () => {
    expect(parseInstanceTargets(['i-a', 'i-b', 'cn-hangzhou:i-a', 'i-b'])).toEqual([
      { instanceId: 'i-a', region: 'cn-hangzhou' },
      { instanceId: 'i-b', region: undefined },
    ]);
  });

  it('refuses an ID given in two regions, a bad region and a bad ID, listing every bad entry with its index', () => {
    let error: unknown;
    try {
      parseInstanceTargets([
        'cn-a1:i-x',
        'cn-b1:i-x',
        'CN-BEIJING:i-y',
        'cn-beijing:',
        'cn-beijing:i-Z',
        'nothing:',
      ]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInstanceIdError);
    const invalid = (error as InvalidInstanceIdError).invalid;
    expect(invalid.map((x) => x.index)).toEqual([1, 2, 3, 4, 5]);
    expect(invalid[0]!.reason).toMatch(/already given in cn-a1; an instance is in one region/);
    expect(invalid[1]!.reason).toMatch(/"CN-BEIJING" is not a region ID/);
    expect(invalid[2]!.reason).toBe('empty');
    expect(invalid[3]!.reason).toMatch(/lower-case: did you mean i-z/);
  });

  it('refuses injection attempts in either part', () => {
    for (const bad of [
      'cn-beijing&Action=DeleteInstance:i-a',
      'cn-beijing:i-a&x=1',
      'cn-beijing :i-a',
      ':i-a',
    ]) {
      expect(() => parseInstanceTargets([bad]), bad).toThrow(InvalidInstanceIdError);
    }
  });

  it('keeps every distinct ID exactly once, with the region it was given (property)', () => {
    const region = fc.constantFrom('cn-hangzhou', 'cn-beijing', 'ap-southeast-1', undefined);
    const id = fc.stringMatching(/^i-[a-z0-9]{1,6}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(id, region), { maxLength: 60 }), (entries) => {
        // Give each ID at most one region, so the input is valid.
        const regionOf = new Map<string, string | undefined>();
        for (const [i, r] of entries)
          if (!regionOf.has(i) || regionOf.get(i) === undefined) regionOf.set(i, r);
        const input = entries.map(([i, r]) => (r !== undefined && regionOf.get(i) === r ? `${r}:${i}` : i));
        const out = parseInstanceTargets(input);
        expect(out.map((t) => t.instanceId)).toEqual([...new Set(entries.map(([i]) => i))]);
        for (const t of out) expect(t.region).toBe(regionOf.get(t.instanceId));
        expect(regionsOf(out)).toEqual([
          ...new Set(out.flatMap((t) => (t.region === undefined ? [] : [t.region]))),
        ]);
      }),
    );
  });

  it('REGION_ID_PATTERN accepts real region IDs and nothing else', () => {
    for (const ok of ['cn-hangzhou', 'cn-shanghai-finance-1', 'ap-southeast-1', 'us-west-1', 'eu-central-1'])
      expect(REGION_ID_PATTERN.test(ok), ok).toBe(true);
    for (const bad of ['', 'hangzhou', 'cn_hangzhou', 'cn-', '-cn', 'Cn-hangzhou', 'cn-hangzhou\n'])
      expect(REGION_ID_PATTERN.test(bad), bad).toBe(false);
  });
});
