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
    const w = result.withoutGate;
    expect(w.sent).toBe(200);
    expect(Object.keys(w.errorCodes)).toEqual(['ClientNotRunning']);
    // Every failure is an instance whose agent was not up when the command was sent, and the
    // delivery window rescued some of those: the failures are the rest of them.
    expect(w.deliveredLate).toBeGreaterThan(0);
    expect(w.failed).toBe(w.notUpAtSend - w.deliveredLate);
    // At least the 50 Windows agents (up after ≥ 120 s) and the 4 without an agent miss the window.
    expect(w.failed).toBeGreaterThanOrEqual(54);
    expect(w.failed).toBeLessThan(200);
    expect(result.gate.exitCode).toBe(0);
    expect(result.gate.ready).toBeGreaterThanOrEqual(196);
    expect(result.withGate).toEqual({ sent: result.gate.ready, failed: 0 });
    expect(result.gate.stragglers.length).toBe(200 - result.gate.ready);
    for (const s of result.gate.stragglers) expect(s.reason).toMatch(/no-heartbeat-yet|agent-offline/);
    expect(result.gate.output).toContain('Quorum met');
    expect(text.join('')).toContain('Summary');
    console.log(
      `demo (200 instances): without the gate ${w.failed}/200 failed (${w.deliveredLate} delivered late); ` +
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
