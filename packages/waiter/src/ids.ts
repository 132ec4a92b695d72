import { type InvalidInstanceId, InvalidInstanceIdError } from './errors.js';

/**
 * ECS instance IDs (`i-bp1iudwa5b1tqa0abcde`) and managed instance IDs (`mi-hz018jrc1o0abcd`):
 * a prefix, a dash, then lower-case letters and digits. Real IDs are 20–22 characters; the limit
 * of 64 leaves room for other ID generations without accepting garbage. ECS IDs are lower-case
 * and the API matches them exactly, so an upper-case ID (pasted from a tool that upper-cases) is
 * refused with the lower-case spelling as a hint, rather than polled as an unknown instance.
 */
export const INSTANCE_ID_PATTERN: RegExp = /^(?:i|mi)-[a-z0-9]{1,64}$/;

/** Why `value` is not an instance ID, or undefined when it is one. */
export function whyInvalid(value: unknown): string | undefined {
  if (typeof value !== 'string') return `expected a string, got ${value === null ? 'null' : typeof value}`;
  if (value.length === 0) return 'empty';
  if (value !== value.trim()) return 'has leading or trailing whitespace';
  if (value.includes('*')) return 'is a masked placeholder from the documentation';
  if (!/^(?:i|mi)-/i.test(value)) return 'must start with i- or mi-';
  if (!INSTANCE_ID_PATTERN.test(value)) {
    const lower = value.toLowerCase();
    if (INSTANCE_ID_PATTERN.test(lower)) return `instance IDs are lower-case: did you mean ${lower}?`;
    return 'must be i- or mi- followed by 1 to 64 lower-case letters or digits';
  }
  return undefined;
}

/**
 * Validates every entry and removes duplicates, keeping the first occurrence's position.
 *
 * @throws {InvalidInstanceIdError} listing every bad entry and its index.
 * @example
 * parseInstanceIds(['i-a1', 'i-a1', 'mi-b2']); // ['i-a1', 'mi-b2']
 */
export function parseInstanceIds(ids: Iterable<unknown>): string[] {
  if (
    ids === null ||
    typeof ids !== 'object' ||
    typeof (ids as Iterable<unknown>)[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(`Expected instanceIds to be an array of strings, got ${String(ids)}.`);
  }
  const invalid: InvalidInstanceId[] = [];
  const seen = new Set<string>();
  const out: string[] = [];
  let index = 0;
  for (const value of ids) {
    const reason = whyInvalid(value);
    if (reason === undefined) {
      const id = value as string;
      if (!seen.has(id)) {
        seen.add(id);
        out.push(id);
      }
    } else {
      invalid.push({ index, value: String(value), reason });
    }
    index++;
  }
  if (invalid.length > 0) throw new InvalidInstanceIdError(invalid);
  return out;
}
