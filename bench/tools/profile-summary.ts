/**
 * `node bench/.tmp/dist/tools/profile-summary.js FILE.cpuprofile [N]`: self time by function and
 * by package, from a `node --cpu-prof` profile (what `bench/run.mjs --profile` writes to
 * bench/.tmp/profiles). Used to find where a client's CPU per request goes.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly hitCount?: number;
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function packageOf(url: string): string {
  if (url === '') return '(native/GC/idle)';
  const pnpm = /node_modules\/\.pnpm\/([^/]+)\//.exec(url);
  if (pnpm) return pnpm[1]!;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nm) return nm[1]!;
  const pkg = /packages\/([^/]+)\//.exec(url);
  if (pkg) return `@cloud-assistant-gate/${pkg[1]}`;
  if (url.startsWith('node:')) return 'node core';
  return url.replace(/^.*\/bench\//, 'bench/');
}

const [file, n = '25'] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-summary FILE.cpuprofile [N]');
  process.exit(2);
}
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((x) => [x.id, x]));
const self = new Map<number, number>();
for (let i = 0; i < p.samples.length; i++) {
  const id = p.samples[i]!;
  self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
}
const fn = new Map<string, number>();
const pkg = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [id, us] of self) {
  const node = byId.get(id)!;
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName === '(idle)') {
    idle += us;
    continue;
  }
  total += us;
  const key = `${functionName || '(anonymous)'} ${packageOf(url)}${url ? `:${lineNumber + 1}` : ''}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  pkg.set(packageOf(url), (pkg.get(packageOf(url)) ?? 0) + us);
}
const show = (m: Map<string, number>, limit: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(
      ([k, us]) =>
        `${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`,
    )
    .join('\n');
console.log(`${file}: ${(total / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle`);
console.log('\nby package:');
console.log(show(pkg, 15));
console.log('\nby function (self time):');
console.log(show(fn, Number(n)));
