/** Time distributions for boots, appearance delays and flapping, in milliseconds. Plain JSON. */
import { OptionRangeError } from '@cloud-assistant-gate/core/options';
import { durationMs } from './duration.js';
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

/**
 * Checks a distribution given for option `name` (`bootMs`, `lifecycle.stoppingMs`, a CLI flag):
 * an `OptionRangeError` whose `option` is `name`.
 */
export function validateDistribution(d: Distribution, name: string): void {
  const got = JSON.stringify(d);
  const bad = (why: string) => new OptionRangeError(name, (n) => `${n(name)}: ${why} (got ${got})`);
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

/** A time in the CLI shorthand: `90s`, `1m30s`, `500ms`, or a bare number of milliseconds. */
const msOf = (text: string): number | undefined => durationMs(text, 1);

const SHAPES = 'fixed:TIME, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA (TIME like 90s, 1m30s, 500ms, or ms)';

/**
 * Parses the CLI shorthand: `fixed:TIME`, `uniform:MIN:MAX`, `lognormal:MEDIAN:SIGMA`, or a bare
 * time (fixed). Times are durations (`90s`, `1m30s`, `500ms`) or bare numbers of milliseconds;
 * `SIGMA` is a plain number. A part that is neither is named in the error.
 */
export function parseDistribution(text: string, name: string): Distribution {
  const parts = text.trim().split(':');
  const kind = parts[0] ?? '';
  const time = (part: string | undefined, what: string): number => {
    const ms = part === undefined ? undefined : msOf(part);
    if (ms === undefined) {
      throw new RangeError(
        `${name}: ${JSON.stringify(text)}: the ${what} ${JSON.stringify(part ?? '')} is not a time; write 90s, 1m30s, 500ms or a number of ms`,
      );
    }
    return ms;
  };
  let d: Distribution;
  if (parts.length === 1 && msOf(kind) !== undefined) d = { kind: 'fixed', ms: msOf(kind)! };
  else if (kind === 'fixed' && parts.length === 2) d = { kind: 'fixed', ms: time(parts[1], 'time') };
  else if (kind === 'uniform' && parts.length === 3)
    d = { kind: 'uniform', minMs: time(parts[1], 'minimum'), maxMs: time(parts[2], 'maximum') };
  else if (kind === 'lognormal' && parts.length === 3) {
    const sigma = Number(parts[2]);
    if (parts[2]!.trim() === '' || !Number.isFinite(sigma)) {
      throw new RangeError(
        `${name}: ${JSON.stringify(text)}: sigma ${JSON.stringify(parts[2])} is not a number (0.3–0.6 gives realistic spreads)`,
      );
    }
    d = { kind: 'lognormal', medianMs: time(parts[1], 'median'), sigma };
  } else throw new RangeError(`${name}: expected ${SHAPES}, got ${JSON.stringify(text)}`);
  validateDistribution(d, name);
  return d;
}
