import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

beforeAll(() => {
  // The demo runs the built CLI binary.
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/waiter'], {
    cwd: root,
  });
}, 120_000);

describe('the demo', () => {
  it('shows failures without the gate and none with it, on a small fast fleet', async () => {
    const text: string[] = [];
    const result = await runDemo({
      instances: 200,
      speed: 40,
      seed: 3,
      out: { write: (t) => text.push(t) },
      gateOutput: 'pipe',
    });
    expect(result.instances).toBe(200);
    expect(result.withoutGate.sent).toBe(200);
    expect(result.withoutGate.failed).toBeGreaterThan(0);
    expect(Object.keys(result.withoutGate.errorCodes)).toEqual(['ClientNotRunning']);
    expect(result.gate.exitCode).toBe(0);
    expect(result.gate.ready).toBeGreaterThanOrEqual(198);
    expect(result.withGate).toEqual({ sent: result.gate.ready, failed: 0 });
    expect(result.gate.stragglers.length).toBe(200 - result.gate.ready);
    for (const s of result.gate.stragglers) expect(s.reason).toMatch(/no-heartbeat-yet|agent-offline/);
    expect(result.gate.output).toContain('Quorum met');
    expect(text.join('')).toContain('Summary');
    console.log(
      `demo (200 instances): without the gate ${result.withoutGate.failed}/200 failed; ` +
        `with it 0/${result.withGate.sent}; ${Math.round(result.wallMs)} ms`,
    );
  });

  it('is reproducible: the same seed gives the same failures without the gate', async () => {
    const quiet = { write: () => true };
    const a = await runDemo({ instances: 100, speed: 60, seed: 9, out: quiet, gateOutput: 'pipe' });
    const b = await runDemo({ instances: 100, speed: 60, seed: 9, out: quiet, gateOutput: 'pipe' });
    expect(a.withoutGate).toEqual(b.withoutGate);
  });
});
