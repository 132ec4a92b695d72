/** Results model and Markdown rendering shared by the benchmarks. */
import { cpus, loadavg, totalmem } from 'node:os';

export type Size = 'tiny' | 'full';

export interface RunOptions {
  readonly size: Size;
  /** Adds `--cpu-prof` to the measured child processes; profiles land in this directory. */
  readonly profileDir: string | undefined;
  /** Where results.md goes; a benchmark may write files of its own there (bench #2's SVG). */
  readonly outDir: string;
  readonly log: (line: string) => void;
  /** Benchmark 5: only these scenarios (`quota:c`, `bucket:a`, …); all when undefined. */
  readonly cases?: readonly string[] | undefined;
}

/** One figure checked against its target from issue 6. `met` is undefined when not applicable. */
export interface TargetCheck {
  readonly bench: number;
  readonly metric: string;
  readonly value: number;
  /** How the figure is printed, e.g. `2.61×`. */
  readonly shown: string;
  readonly target: string;
  readonly met: boolean | undefined;
  readonly note?: string;
}

export interface Section {
  readonly bench: number;
  readonly title: string;
  /** Markdown body (tables and a short methodology note). */
  readonly markdown: string;
  readonly data: unknown;
  readonly checks: readonly TargetCheck[];
}

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly platform: string;
  readonly date: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  readonly loadAverage1m: number;
}

export function machine(): Machine {
  const c = cpus();
  return {
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** A Markdown table; numbers are printed as given (format them first). */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** `n` with `digits` decimals and thousands separators. */
export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ratio(n: number, digits = 2): string {
  return `${fmt(n, digits)}×`;
}

/** `✅ met` / `❌ MISSED` / `–`, printed next to each figure. */
export function verdict(met: boolean | undefined): string {
  return met === undefined ? '–' : met ? '✅ met' : '❌ MISSED';
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** A small seeded PRNG (mulberry32) for the waiter's jitter, so a run reproduces. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
