import { type InvalidInstanceId, InvalidInstanceIdError } from './errors.js';
import { INSTANCE_ID_PATTERN, whyInvalid } from './ids.js';

/**
 * A region ID as ECS spells them (`cn-hangzhou`, `ap-southeast-1`, `cn-shanghai-finance-1`):
 * lower-case letters, digits and dashes, starting with a letter. Whether ECS serves it is for the
 * API (or core's region list) to say.
 */
export const REGION_ID_PATTERN: RegExp = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$/;

/**
 * Whether `text` is an instance ID (`i-…`, `mi-…`) or one with its region (`cn-beijing:i-2ze…`),
 * exactly as {@link parseInstanceTargets} accepts them as strings. The CLI reads ID files with it,
 * so a file and the library agree on every entry.
 *
 * @example
 * isInstanceRef('cn-beijing:i-2ze0abc'); // true
 * isInstanceRef('I-ABC'); // false: IDs are lower-case
 */
export function isInstanceRef(text: string): boolean {
  const colon = text.indexOf(':');
  if (colon < 0) return INSTANCE_ID_PATTERN.test(text);
  return REGION_ID_PATTERN.test(text.slice(0, colon)) && INSTANCE_ID_PATTERN.test(text.slice(colon + 1));
}

/**
 * An instance to wait for: its ID, or the ID with the region it is in. A string may name the
 * region before a colon (`cn-beijing:i-2ze…`).
 */
export type InstanceRef = string | { readonly instanceId: string; readonly region?: string | undefined };

/** One distinct instance of the input, with its region when the input gave one. */
export interface InstanceTarget {
  readonly instanceId: string;
  /** Undefined: a bare ID, located by the wait (or in its only region). */
  readonly region: string | undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const { instanceId, region } = value as { instanceId?: unknown; region?: unknown };
    return `{ instanceId: ${JSON.stringify(instanceId)}, region: ${JSON.stringify(region)} }`;
  }
  return String(value);
}

/** Splits one entry into an ID and a region, or says why it is not one. */
function split(value: unknown): { id: string; region: string | undefined } | { problem: string } {
  let id: unknown = value;
  let region: unknown;
  if (typeof value === 'string') {
    const colon = value.indexOf(':');
    if (colon >= 0) {
      region = value.slice(0, colon);
      id = value.slice(colon + 1);
    }
  } else if (typeof value === 'object' && value !== null) {
    ({ instanceId: id, region } = value as { instanceId?: unknown; region?: unknown });
  }
  if (region !== undefined) {
    if (typeof region !== 'string' || !REGION_ID_PATTERN.test(region)) {
      return {
        problem: `the region ${JSON.stringify(region)} is not a region ID like cn-hangzhou`,
      };
    }
  }
  const why = whyInvalid(id);
  if (why !== undefined) return { problem: why };
  return { id: id as string, region: region as string | undefined };
}

/**
 * Validates every entry (an ID, `region:id`, or `{ instanceId, region? }`) and removes
 * duplicates, keeping the first occurrence's position. An ID given both bare and with a region
 * keeps the region; an ID given with two different regions is refused.
 *
 * @throws {InvalidInstanceIdError} listing every bad entry and its index.
 * @example
 * parseInstanceTargets(['i-a1', 'cn-beijing:i-b2', { instanceId: 'i-a1', region: 'cn-hangzhou' }]);
 * // [{ instanceId: 'i-a1', region: 'cn-hangzhou' }, { instanceId: 'i-b2', region: 'cn-beijing' }]
 */
export function parseInstanceTargets(entries: Iterable<unknown>): InstanceTarget[] {
  if (
    entries === null ||
    typeof entries !== 'object' ||
    typeof (entries as Iterable<unknown>)[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(`Expected instanceIds to be an array of instance IDs, got ${String(entries)}.`);
  }
  const invalid: InvalidInstanceId[] = [];
  const position = new Map<string, number>();
  const out: { instanceId: string; region: string | undefined }[] = [];
  let index = 0;
  for (const value of entries) {
    const parsed = split(value);
    if ('problem' in parsed) {
      invalid.push({ index, value: describe(value), reason: parsed.problem });
    } else {
      const at = position.get(parsed.id);
      if (at === undefined) {
        position.set(parsed.id, out.length);
        out.push({ instanceId: parsed.id, region: parsed.region });
      } else {
        const first = out[at]!;
        if (first.region === undefined) first.region = parsed.region;
        else if (parsed.region !== undefined && parsed.region !== first.region) {
          invalid.push({
            index,
            value: describe(value),
            reason: `${parsed.id} was already given in ${first.region}; an instance is in one region`,
          });
        }
      }
    }
    index++;
  }
  if (invalid.length > 0) throw new InvalidInstanceIdError(invalid);
  return out;
}

/** The distinct regions the targets name, in order of first appearance. */
export function regionsOf(targets: readonly InstanceTarget[]): string[] {
  const seen = new Set<string>();
  for (const t of targets) if (t.region !== undefined) seen.add(t.region);
  return [...seen];
}
