/**
 * `pnpm --filter @cloud-assistant-gate/example-pipeline-step start`: runs gate-and-deploy.sh
 * against a simulated region, as a CI job would run it against ECS.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEcsSimulator } from '@cloud-assistant-gate/simulator';

/** The script sits next to src/ and dist/. */
export const SCRIPT = fileURLToPath(new URL('../gate-and-deploy.sh', import.meta.url));

export interface PipelineRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly report: Record<string, unknown> | undefined;
}

/** Runs the script on `ids` with the simulator's endpoint and credentials in the environment. */
export function runPipeline(
  sim: { region: string; endpoint: string; credentials: { accessKeyId: string; accessKeySecret: string } },
  ids: readonly string[],
  env: Record<string, string> = {},
): Promise<PipelineRun> {
  const dir = mkdtempSync(join(tmpdir(), 'cag-pipeline-'));
  writeFileSync(join(dir, 'ids.txt'), `${ids.join('\n')}\n`);
  // Asynchronously: a synchronous spawn would block the event loop serving the in-process simulator.
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, 'ids.txt'], {
      cwd: dir,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: dir,
        CLOUD_ASSISTANT_GATE_REGION: sim.region,
        CLOUD_ASSISTANT_GATE_ENDPOINT: sim.endpoint,
        ALIBABA_CLOUD_ACCESS_KEY_ID: sim.credentials.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.credentials.accessKeySecret,
        ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      let report: Record<string, unknown> | undefined;
      try {
        report = JSON.parse(readFileSync(join(dir, 'gate-report.json'), 'utf8')) as Record<string, unknown>;
      } catch {
        report = undefined;
      }
      resolve({ code, stdout, stderr, report });
    });
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sim = await startEcsSimulator({
    seed: 8,
    speed: 30,
    fleets: [{ count: 40, bootMs: { kind: 'uniform', minMs: 20_000, maxMs: 90_000 } }],
  });
  try {
    const result = await runPipeline(sim, sim.fleet.ids());
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    console.log(`gate-and-deploy.sh exited ${result.code}`);
    process.exitCode = result.code ?? 1;
  } finally {
    await sim.close();
  }
}
