/** Time distributions for boots, appearance delays and flapping, in milliseconds. Plain JSON. */
import type { Prng } from './prng.js';

export type Distribution =
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  | {
      readonly kind: 'lognormal';
      /** The median (e^μ) in ms. */
      readonly medianMs: number;
      /** σ of the underlying normal; 0.3–0.6 gives realistic boot-time spreads. */
      readonly sigma: number;
      /** Samples are clamped to [minMs, maxMs]. */
      readonly minMs?: number;
      readonly maxMs?: number;
    };

export function validateDistribution(d: Distribution, name: string): void {
  const bad = (why: string) => new RangeError(`${name}: ${why} (got ${JSON.stringify(d)})`);
  const nonNeg = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  switch (d.kind) {
    case 'fixed':
      if (!nonNeg(d.ms)) throw bad('fixed needs ms ≥ 0');
      return;
    case 'uniform':
      if (!nonNeg(d.minMs) || !nonNeg(d.maxMs) || d.maxMs < d.minMs)
        throw bad('uniform needs 0 ≤ minMs ≤ maxMs');
      return;
    case 'lognormal':
      if (!(d.medianMs > 0) || !nonNeg(d.sigma)) throw bad('lognormal needs medianMs > 0 and sigma ≥ 0');
      return;
    default:
      throw bad('kind must be fixed, uniform or lognormal');
  }
}

export function sample(d: Distribution, rng: Prng): number {
  switch (d.kind) {
    case 'fixed':
      return d.ms;
    case 'uniform':
      return d.minMs + (d.maxMs - d.minMs) * rng.next();
    case 'lognormal': {
      const v = d.medianMs * Math.exp(d.sigma * rng.normal());
      return Math.min(d.maxMs ?? Number.POSITIVE_INFINITY, Math.max(d.minMs ?? 0, v));
    }
  }
}

/**
 * Parses the CLI shorthand: `fixed:MS`, `uniform:MIN:MAX`, `lognormal:MEDIAN:SIGMA`, or a bare
 * number of ms (fixed).
 */
export function parseDistribution(text: string, name: string): Distribution {
  const parts = text.split(':');
  const nums = parts.slice(1).map(Number);
  let d: Distribution;
  if (parts.length === 1 && parts[0] !== '' && Number.isFinite(Number(parts[0])))
    d = { kind: 'fixed', ms: Number(parts[0]) };
  else if (parts[0] === 'fixed' && nums.length === 1) d = { kind: 'fixed', ms: nums[0]! };
  else if (parts[0] === 'uniform' && nums.length === 2)
    d = { kind: 'uniform', minMs: nums[0]!, maxMs: nums[1]! };
  else if (parts[0] === 'lognormal' && nums.length === 2)
    d = { kind: 'lognormal', medianMs: nums[0]!, sigma: nums[1]! };
  else
    throw new RangeError(
      `${name}: expected fixed:MS, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA, got ${text}`,
    );
  validateDistribution(d, name);
  return d;
}
