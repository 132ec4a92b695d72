/**
 * The pipeline step without a build: the single-file CLI (`bundle/cloud-assistant-gate.mjs`)
 * runs with no node_modules and is exactly what `scripts/bundle.mjs` builds from the sources
 * (a stale bundle fails here), and the GitHub Action in action.yml works the way the runner calls
 * it: `node action/main.mjs` with INPUT_* variables and a GITHUB_OUTPUT file.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type EcsSimulator, startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const BUNDLE = join(root, 'bundle/cloud-assistant-gate.mjs');
let sim: EcsSimulator;
let dir: string;
let online: string[];
let never: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cag-action-'));
  sim = await startEcsSimulator({ seed: 13 });
  online = sim.fleet.addInstances({ count: 3, bootMs: { kind: 'fixed', ms: 0 } });
  never = sim.fleet.addInstance({ onlineAfterMs: null });
});

afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The outputs a GITHUB_OUTPUT file holds, parsed as the runner parses the `name<<DELIMITER` form. */
const readOutputs = (file: string): Record<string, string> => {
  const outputs: Record<string, string> = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^([\w-]+)<<(.+)$/.exec(lines[i]!);
    if (head === null) continue;
    const end = lines.indexOf(head[2]!, i + 1);
    outputs[head[1]!] = lines.slice(i + 1, end).join('\n');
    i = end;
  }
  return outputs;
};

/** Runs the action as the runner does, with `inputs` as INPUT_* variables. */
const runAction = (
  inputs: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string; outputs: Record<string, string> }> =>
  new Promise((resolve, reject) => {
    const output = join(dir, `output-${Math.random().toString(36).slice(2)}`);
    writeFileSync(output, '');
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      HOME: dir,
      GITHUB_OUTPUT: output,
      ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
      ALIBABA_CLOUD_ACCESS_KEY_ID: sim.credentials.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.credentials.accessKeySecret,
    };
    // Every input the action declares is set, '' when the workflow gives none (as the runner does).
    for (const name of ['instance-ids', 'ids-file', 'region', 'timeout', 'min-ready', 'endpoint']) {
      env[`INPUT_${name.toUpperCase()}`] = inputs[name] ?? '';
    }
    const child = spawn(process.execPath, [join(root, 'action/main.mjs')], { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, outputs: readOutputs(output) }));
  });

describe('the single-file CLI', () => {
  it('is what scripts/bundle.mjs builds from the current sources (rebuild it with `pnpm bundle`)', () => {
    const out = join(dir, 'rebuilt');
    execFileSync(process.execPath, [join(root, 'scripts/bundle.mjs'), '--out', out], { cwd: root });
    for (const file of ['cloud-assistant-gate.mjs', 'THIRD-PARTY-LICENSES.txt']) {
      const committed = readFileSync(join(root, 'bundle', file));
      const rebuilt = readFileSync(join(out, file));
      expect(rebuilt.equals(committed), `bundle/${file} is stale: run pnpm bundle and commit it`).toBe(true);
    }
  });

  it('runs from an empty directory, with no node_modules anywhere above it', async () => {
    const alone = mkdtempSync(join(tmpdir(), 'cag-bundle-alone-'));
    try {
      copyFileSync(BUNDLE, join(alone, 'cloud-assistant-gate.mjs'));
      const version = JSON.parse(readFileSync(join(root, 'packages/waiter/package.json'), 'utf8')).version;
      const env = {
        PATH: process.env['PATH'] ?? '',
        HOME: alone,
        ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
        ALIBABA_CLOUD_ACCESS_KEY_ID: sim.credentials.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.credentials.accessKeySecret,
      };
      // Not execFileSync: that would block the simulator, which runs in this process.
      const run = async (args: string[]) =>
        (
          await promisify(execFile)(process.execPath, [join(alone, 'cloud-assistant-gate.mjs'), ...args], {
            cwd: alone,
            env,
            encoding: 'utf8',
          })
        ).stdout;
      expect((await run(['--version'])).trim()).toBe(version);
      expect(await run(['--help'])).toContain('cloud-assistant-gate wait [options] [ID...]');
      const report = JSON.parse(
        await run([
          'wait',
          '--region',
          sim.region,
          '--endpoint',
          sim.endpoint,
          '--json',
          '--no-progress',
          ...online,
        ]),
      );
      expect(report).toMatchObject({ ok: true, outcome: 'ready', ready: online });
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
  });
});

describe('the GitHub Action (action.yml)', () => {
  it('declares the inputs and outputs its main reads and writes, on the node20 runtime', () => {
    const yml = readFileSync(join(root, 'action.yml'), 'utf8');
    expect(yml).toMatch(/^runs:\n {2}using: node20\n {2}main: action\/main\.mjs$/m);
    const section = (name: string) => {
      const body = new RegExp(`^${name}:\\n((?: {2}.*\\n|\\n)*)`, 'm').exec(yml)?.[1] ?? '';
      return [...body.matchAll(/^ {2}([\w-]+):$/gm)].map((m) => m[1]);
    };
    expect(section('inputs')).toEqual([
      'instance-ids',
      'ids-file',
      'region',
      'timeout',
      'min-ready',
      'endpoint',
    ]);
    expect(section('outputs')).toEqual(['ready', 'not-ready', 'report']);
  });

  it('waits with INPUT_* variables and writes ready, not-ready and the report to GITHUB_OUTPUT', async () => {
    const r = await runAction({
      'instance-ids': `${online[0]} ${online[1]}\n${online[2]}`,
      region: sim.region,
      endpoint: sim.endpoint,
      timeout: '1m',
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.outputs['ready']!)).toEqual(online);
    expect(JSON.parse(r.outputs['not-ready']!)).toEqual([]);
    expect(JSON.parse(r.outputs['report']!)).toMatchObject({
      command: 'wait',
      outcome: 'ready',
      exitCode: 0,
    });
    expect(r.stderr).toContain('All 3 instances ready');
    expect(r.stdout).not.toContain('::error');
  });

  it('reads a JSON list from ids-file (as terraform output -json writes it)', async () => {
    const file = join(dir, 'ids.json');
    writeFileSync(file, `${JSON.stringify(online, null, 2)}\n`);
    const r = await runAction({ 'ids-file': file, region: sim.region, endpoint: sim.endpoint });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.outputs['ready']!)).toEqual(online);
  });

  it('fails the step with the CLI’s exit code and still sets the outputs, naming the stragglers', async () => {
    const r = await runAction({
      'instance-ids': `${online[0]} ${never}`,
      region: sim.region,
      endpoint: sim.endpoint,
      timeout: '3s',
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.outputs['ready']!)).toEqual([online[0]]);
    // The end-of-wait lookup saw it Running; 3 s cannot prove its agent missing: "not yet".
    expect(JSON.parse(r.outputs['not-ready']!)).toEqual([
      { instanceId: never, reason: 'no-heartbeat-yet', region: sim.region, instanceStatus: 'Running' },
    ]);
    expect(r.stdout).toMatch(
      /^::error title=cloud-assistant-gate::Cloud Assistant was not ready on 1 of 2 instances/m,
    );
    expect(r.stdout).toContain('raise --timeout');
  });

  it('honours min-ready and reports a quorum', async () => {
    const r = await runAction({
      'instance-ids': `${online.join(' ')} ${never}`,
      region: sim.region,
      endpoint: sim.endpoint,
      'min-ready': '75%',
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.outputs['report']!)).toMatchObject({ outcome: 'quorum', required: 3 });
  });

  it('takes several regions in the region input (a comma list), with bare and region:id IDs', async () => {
    // Default credentials (testid/testsecret), as the runner's environment above passes them.
    const two = await startEcsSimulator({
      seed: 15,
      region: 'cn-hangzhou',
      regions: ['cn-hangzhou', 'cn-beijing'],
    });
    try {
      const [hz] = two.fleet.addInstances({
        region: 'cn-hangzhou',
        count: 1,
        bootMs: { kind: 'fixed', ms: 0 },
      });
      const [bj1, bj2] = two.fleet.addInstances({
        region: 'cn-beijing',
        count: 2,
        bootMs: { kind: 'fixed', ms: 0 },
      });
      const r = await runAction({
        'instance-ids': `${hz} ${bj1}\ncn-beijing:${bj2}`,
        region: 'cn-hangzhou,cn-beijing',
        endpoint: two.endpoint,
        timeout: '1m',
      });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.outputs['ready']!)).toEqual([hz, bj1, bj2]);
      const report = JSON.parse(r.outputs['report']!);
      expect(report).toMatchObject({ outcome: 'ready', regions: ['cn-hangzhou', 'cn-beijing'] });
      expect(report.instances.map((i: { region: string }) => i.region)).toEqual([
        'cn-hangzhou',
        'cn-beijing',
        'cn-beijing',
      ]);
    } finally {
      await two.close();
    }
  });

  it('a usage problem fails the step with exit 2 and the reason, not a stack trace', async () => {
    const r = await runAction({ 'instance-ids': 'i-abc&Action=DeleteInstance', region: sim.region });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/::error title=cloud-assistant-gate::Bad instance ID input/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
