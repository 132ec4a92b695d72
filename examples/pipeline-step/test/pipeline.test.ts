import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../src/simulate.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

beforeAll(() => {
  // The script runs the built CLI.
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/waiter'], {
    cwd: root,
  });
}, 120_000);

describe('pipeline-step: gate-and-deploy.sh', () => {
  it('deploys to every instance once the gate passes (exit 0)', async () => {
    const sim = await startEcsSimulator({
      seed: 8,
      speed: 40,
      fleets: [{ count: 40, bootMs: { kind: 'uniform', minMs: 5_000, maxMs: 60_000 } }],
    });
    try {
      const r = await runPipeline(sim, sim.fleet.ids(), {
        CLOUD_ASSISTANT_GATE_MIN_DELAY: '300ms',
        CLOUD_ASSISTANT_GATE_MAX_DELAY: '1s',
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('gate: passed');
      expect(r.stdout).toMatch(/gate: 40\/40 ready in/);
      expect(r.stdout).toContain('deploying to the instances in ready-ids.txt');
      expect(r.report).toMatchObject({ ok: true, exitCode: 0 });
    } finally {
      await sim.close();
    }
  });

  it('fails the job with exit 1 and the stragglers when an agent never comes up', async () => {
    const sim = await startEcsSimulator({ seed: 8 });
    const up = sim.fleet.addInstance({ onlineAfterMs: 0 });
    const down = sim.fleet.addInstance({ onlineAfterMs: null });
    try {
      const r = await runPipeline(sim, [up, down], {
        CLOUD_ASSISTANT_GATE_TIMEOUT: '1s',
        CLOUD_ASSISTANT_GATE_MIN_DELAY: '200ms',
        CLOUD_ASSISTANT_GATE_MAX_DELAY: '300ms',
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('gate: not ready in time');
      expect(r.stderr).toMatch(new RegExp(`${down} +no-heartbeat-yet +Running`));
      expect(r.stdout).not.toContain('deploying');
      expect(r.report).toMatchObject({
        ok: false,
        exitCode: 1,
        notReady: [{ instanceId: down, reason: 'no-heartbeat-yet', instanceStatus: 'Running' }],
      });
    } finally {
      await sim.close();
    }
  });

  it('maps bad credentials to exit 3 with advice', async () => {
    const sim = await startEcsSimulator({ seed: 8 });
    const up = sim.fleet.addInstance({ onlineAfterMs: 0 });
    try {
      const r = await runPipeline(sim, [up], { ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'not-the-secret' });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('gate: credentials or permission problem');
      expect(r.stdout + r.stderr).not.toContain('not-the-secret');
    } finally {
      await sim.close();
    }
  });
});
