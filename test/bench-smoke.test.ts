/**
 * Smoke-runs the benchmarks at the tiny size (bench/run.mjs --size tiny) into a temporary
 * directory and checks the shape of results.json and results.md. It asserts no performance
 * target: benchmarks measure, `pnpm bench` reports.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));

interface Check {
  readonly bench: number;
  readonly metric: string;
  readonly value: number;
  readonly shown: string;
  readonly target: string;
  readonly met: boolean | undefined;
}
interface Results {
  readonly machine: { cpuModel: string; cores: number; node: string; date: string };
  readonly size: string;
  readonly checks: readonly Check[];
  readonly benchmarks: readonly { bench: number; title: string; data: Record<string, unknown> }[];
}

let results: Results;
let markdown: string;

beforeAll(async () => {
  await promisify(execFile)(process.execPath, [join(root, 'bench/run.mjs'), '--size', 'tiny', '--out', out], {
    cwd: root,
    timeout: 170_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  markdown = readFileSync(join(out, 'results.md'), 'utf8');
}, 180_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('bench --size tiny', () => {
  it('starts with the machine', () => {
    expect(results.size).toBe('tiny');
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.machine.cpuModel).not.toBe('');
    expect(results.machine.node).toBe(process.version);
    expect(Number.isNaN(Date.parse(results.machine.date))).toBe(false);
    expect(markdown).toMatch(/^# Benchmark results/);
    expect(markdown).toContain(results.machine.cpuModel);
  });

  it('runs all six benchmarks, each with a section in results.md', () => {
    expect(results.benchmarks.map((b) => b.bench)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const b of results.benchmarks) expect(markdown).toContain(`## ${b.bench}. ${b.title}`);
  });

  it('reports finite, non-zero figures against every target', () => {
    const byBench = new Map<number, Check[]>();
    for (const c of results.checks) byBench.set(c.bench, [...(byBench.get(c.bench) ?? []), c]);
    expect([...byBench.keys()].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    for (const c of results.checks) {
      expect(Number.isFinite(c.value), c.metric).toBe(true);
      expect(c.target, c.metric).not.toBe('');
      expect(markdown).toContain(c.metric);
    }
    // Ratios and costs that cannot be zero in any real run.
    for (const c of results.checks.filter((x) => x.bench === 1 || x.bench === 2 || x.bench === 4)) {
      expect(c.value, c.metric).toBeGreaterThan(0);
    }
  });

  it('measures every client of benchmark 1 with non-zero throughput, CPU and RSS', () => {
    const b1 = results.benchmarks.find((b) => b.bench === 1)!;
    const clients = b1.data['clients'] as {
      kind: string;
      requestsPerSecond: number;
      cpuMsPerRequest: number;
      peakRssMb: number;
      statusesPerRequest: number;
    }[];
    expect(clients.map((c) => c.kind).sort()).toEqual(['core', 'floor', 'sdk']);
    for (const c of clients) {
      expect(c.requestsPerSecond, c.kind).toBeGreaterThan(0);
      expect(c.cpuMsPerRequest, c.kind).toBeGreaterThan(0);
      expect(c.peakRssMb, c.kind).toBeGreaterThan(0);
      expect(c.statusesPerRequest, c.kind).toBe(100);
    }
  });

  it('plots the cost–latency frontier of benchmark 2 and counts calls end to end', () => {
    const d = results.benchmarks.find((b) => b.bench === 2)!.data as {
      schedules: { name: string; kind: string; calls: number; p95Ms: number }[];
      oracleAtOurP95: { calls: number };
      endToEnd: { ours: { calls: number; lowerBound: number }; naive: { calls: number } };
    };
    expect(d.schedules.filter((s) => s.kind === 'ours-default')).toHaveLength(1);
    expect(d.schedules.filter((s) => s.kind === 'baseline').length).toBeGreaterThanOrEqual(4);
    for (const s of d.schedules) {
      expect(s.calls, s.name).toBeGreaterThan(0);
      expect(Number.isFinite(s.p95Ms), s.name).toBe(true);
    }
    expect(d.oracleAtOurP95.calls).toBeGreaterThan(0);
    expect(d.endToEnd.ours.lowerBound).toBeGreaterThan(0);
    expect(d.endToEnd.ours.calls).toBeGreaterThanOrEqual(d.endToEnd.ours.lowerBound);
    expect(d.endToEnd.naive.calls).toBeGreaterThan(0);
    const svg = readFileSync(join(out, 'frontier.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>\n<title/);
    expect(svg.match(/<circle /g)?.length).toBeGreaterThanOrEqual(
      d.schedules.filter((s) => s.kind !== 'baseline').length,
    );
    expect(markdown).toContain('frontier.svg');
  });

  it('reports every case of benchmark 5 under both models (and (c′) under the quota), every ID accounted for', () => {
    const d = results.benchmarks.find((b) => b.bench === 5)!.data as {
      scenarios: { model: string; case: string; calls: number; accountedFor: boolean; jain?: number }[];
    };
    expect(d.scenarios.map((s) => `${s.model} ${s.case}`)).toEqual([
      'quota a',
      'quota b',
      'quota c',
      'quota c2',
      'bucket a',
      'bucket b',
      'bucket c',
    ]);
    for (const s of d.scenarios) {
      expect(s.calls).toBeGreaterThan(0);
      expect(s.accountedFor).toBe(true);
    }
    for (const s of d.scenarios.filter((x) => x.case.startsWith('c'))) expect(s.jain).toBeGreaterThan(0);
  });
});
