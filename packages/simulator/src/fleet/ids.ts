/** Instance IDs that look like ECS's, drawn from the fleet's seeded stream. */
import type { Prng } from '../prng.js';

/** ECS ID prefixes per region, as real IDs look (`i-bp1…` in Hangzhou); others get a hash-based one. */
const REGION_ID_PREFIX: Readonly<Record<string, string>> = {
  'cn-hangzhou': 'bp',
  'cn-beijing': '2ze',
  'cn-shanghai': 'uf',
  'cn-shenzhen': 'wz',
  'cn-qingdao': 'm5e',
  'cn-zhangjiakou': '8vb',
  'cn-hongkong': 'j6c',
  'ap-southeast-1': 't4n',
  'us-west-1': 'rj9',
  'eu-central-1': 'gw8',
};
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

function regionPrefix(region: string): string {
  const known = REGION_ID_PREFIX[region];
  if (known) return known;
  let h = 0;
  for (let i = 0; i < region.length; i++) h = (h * 31 + region.charCodeAt(i)) >>> 0;
  return ALNUM[h % 36]! + ALNUM[Math.floor(h / 36) % 36]!;
}

function randomChars(n: number, rng: Prng): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[Math.floor(rng.next() * 36)];
  return s;
}

/**
 * A new ID for an instance of `region` that `taken` does not hold: `i-` + 20 characters as on ECS
 * (the region's prefix, `1`, random characters), or for a managed instance `mi-` + 15 (like
 * `mi-hz01axdrwwo5sbc`).
 */
export function newInstanceId(
  region: string,
  managed: boolean,
  rng: Prng,
  taken: (id: string) => boolean,
): string {
  for (;;) {
    const prefix = regionPrefix(region);
    const id = managed ? `mi-${randomChars(15, rng)}` : `i-${prefix}1${randomChars(17 - prefix.length, rng)}`;
    if (!taken(id)) return id;
  }
}
