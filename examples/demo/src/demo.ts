/**
 * `pnpm demo`: why a deployment needs the gate, in under a minute, reproducibly.
 *
 * 1. Starts a simulated ECS region in this process: 1,000 instances just launched, a realistic
 *    mix on a clock running 15×: Linux agents up after a minute or so, Windows agents after three
 *    to six minutes (Windows boots take longer), a few slow ones, and 2 % from a custom image
 *    without the Cloud Assistant agent.
 * 2. Sends RunCommand 40 simulated seconds after launch, without the gate, as a naive deploy
 *    script would. ECS holds a command for an agent that is not up yet for up to a minute (the
 *    delivery window), so agents that come up within it still run it; the invocations on the
 *    others fail with ClientNotRunning. The demo counts both.
 * 3. Runs the gate, the real `cloud-assistant-gate wait` CLI, with its progress bar, and reads its
 *    `--json` report.
 * 4. Sends the command to the ready instances: zero agent failures. Prints the summary; the
 *    stragglers with their reasons are in the gate's output.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createEcsClient, type EcsClient } from '@cloud-assistant-gate/core';
import { type EcsSimulator, startEcsSimulator } from '@cloud-assistant-gate/simulator';

export interface DemoOptions {
  /** Instances in the fleet. @default 1000 */
  readonly instances?: number;
  /** Simulated ms per wall ms once the gate runs. @default 15 */
  readonly speed?: number;
  /** Seed of the fleet (boot times, IDs). @default 42 */
  readonly seed?: number;
  /** Where the demo's own text goes. @default process.stdout */
  readonly out?: { write(text: string): unknown };
  /** Show the gate's progress on this terminal (`inherit`) or capture it (`pipe`). @default 'inherit' */
  readonly gateOutput?: 'inherit' | 'pipe';
}

export interface DemoResult {
  readonly instances: number;
  readonly withoutGate: {
    readonly sent: number;
    readonly failed: number;
    readonly errorCodes: Record<string, number>;
    /** Agents not up when the command was sent (ground truth). */
    readonly notUpAtSend: number;
    /** Of those, the ones that came up within the delivery window and ran it. */
    readonly deliveredLate: number;
  };
  readonly gate: {
    readonly exitCode: number;
    readonly ready: number;
    readonly stragglers: readonly { instanceId: string; reason: string }[];
    readonly elapsedMs: number;
    readonly apiCalls: number;
    readonly output: string;
  };
  readonly withGate: { readonly sent: number; readonly failed: number };
  readonly wallMs: number;
}

/** The CLI binary, built by `tsc -b` (src/ and dist/ of this example sit at the same depth). */
const GATE_BIN = fileURLToPath(new URL('../../../packages/waiter/dist/cli/bin.js', import.meta.url));

/** The delivery window the simulator models (its default): how long ECS holds a command for an agent that is not up. */
const DELIVERY_WINDOW_MS = 60_000;
/** When the naive script deploys, in simulated ms after launch. */
const DEPLOY_AT_MS = 40_000;

/**
 * A realistic launch: Linux agents up after about a minute, Windows agents after three to six
 * (sysprep and a slower boot), ~1 % slow Linux boots, and 2 % from a custom image without the agent.
 */
const fleetFor = (n: number) => {
  const bare = Math.max(1, Math.round(n * 0.02));
  const windows = Math.round(n * 0.25);
  const slow = Math.max(1, Math.round(n * 0.01));
  return [
    {
      count: n - bare - windows - slow,
      osType: 'Linux',
      bootMs: { kind: 'lognormal', medianMs: 60_000, sigma: 0.35, minMs: 20_000, maxMs: 150_000 },
    },
    {
      count: windows,
      osType: 'Windows',
      bootMs: { kind: 'lognormal', medianMs: 200_000, sigma: 0.25, minMs: 120_000, maxMs: 360_000 },
      lifecycle: { runningAfterMs: { kind: 'uniform', minMs: 20_000, maxMs: 40_000 } },
    },
    { count: slow, osType: 'Linux', bootMs: { kind: 'uniform', minMs: 170_000, maxMs: 300_000 } },
    { count: bare, osType: 'Linux', neverOnlineShare: 1, osName: 'Custom image (no Cloud Assistant)' },
  ] as const;
};

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const n = options.instances ?? 1000;
  const speed = options.speed ?? 15;
  const out = options.out ?? process.stdout;
  const say = (text = '') => out.write(`${text}\n`);
  const started = performance.now();

  // Frozen at first (speed 0), so that step 2 happens at exactly the same simulated moment on
  // every run: with the same seed, the same instances are up and the counts are identical.
  const sim = await startEcsSimulator({
    seed: options.seed ?? 42,
    speed: 0,
    deliveryWindowMs: DELIVERY_WINDOW_MS,
    fleets: fleetFor(n),
  });
  const client = createEcsClient({
    region: sim.region,
    endpoint: sim.endpoint,
    credentials: sim.credentials,
  });
  try {
    const ids = sim.fleet.ids();
    say(
      `▶ A simulated ECS region (${sim.region}) at ${sim.endpoint}: ${ids.length} instances just launched.`,
    );
    say('');

    // ── 2. Without the gate ────────────────────────────────────────────────────────────────
    sim.clock.advance(DEPLOY_AT_MS);
    const notUp = new Set(ids.filter((id) => sim.fleet.agentState(id) !== 'online'));
    say(
      `1) Deploying ${DEPLOY_AT_MS / 1000} s after launch, WITHOUT the gate: RunCommand to every instance…`,
    );
    // The clock is frozen: let the delivery window close and the delivered commands finish.
    const before = await runEverywhere(client, ids, () => sim.clock.advance(DELIVERY_WINDOW_MS + 5_000));
    const deliveredLate = [...notUp].filter((id) => before.succeeded.has(id)).length;
    say(
      `   On ${notUp.size} instances the agent was not up yet. ECS holds a command for up to ${DELIVERY_WINDOW_MS / 1000} s:` +
        ` ${deliveredLate} of those agents came up in time and ran it, the others did not.`,
    );
    say(
      `   ${before.failed} of ${before.sent} invocations failed (${Object.entries(before.errorCodes)
        .map(([code, count]) => `${code} ×${count}`)
        .join(', ')}).`,
    );
    say('');

    // ── 3. The gate ────────────────────────────────────────────────────────────────────────
    sim.clock.setSpeed(speed);
    const args = ['wait', '-', '--min-ready', '98%', '--timeout', '60s', '--max-delay', '3s', '--json'];
    say('2) The gate: waiting until Cloud Assistant is online (98 % quorum, at most 60 s):');
    say(`   $ cloud-assistant-gate ${args.join(' ')} < ids.txt`);
    const gate = await runGate(sim, ids, args, options.gateOutput ?? 'inherit');
    say('');

    // ── 4. With the gate ───────────────────────────────────────────────────────────────────
    say(`3) Deploying to the ${gate.ready.length} ready instances, WITH the gate…`);
    const after = await runEverywhere(client, gate.ready);
    say(`   ${after.failed} of ${after.sent} invocations failed.`);
    say('');

    const wallMs = performance.now() - started;
    say('Summary');
    say(
      `  without the gate: ${before.failed}/${before.sent} invocations failed (agent not up within the delivery window)`,
    );
    say(
      `  with the gate:    ${after.failed}/${after.sent} failed; gate took ${(gate.elapsedMs / 1000).toFixed(1)} s and ${gate.apiCalls} API calls`,
    );
    say(
      `  not ready:        ${gate.stragglers.length} (listed above with reasons; tolerated by --min-ready 98%)`,
    );
    say(`  demo wall time:   ${(wallMs / 1000).toFixed(1)} s`);
    return {
      instances: ids.length,
      withoutGate: {
        sent: before.sent,
        failed: before.failed,
        errorCodes: before.errorCodes,
        notUpAtSend: notUp.size,
        deliveredLate,
      },
      gate: {
        exitCode: gate.exitCode,
        ready: gate.ready.length,
        stragglers: gate.stragglers,
        elapsedMs: gate.elapsedMs,
        apiCalls: gate.apiCalls,
        output: gate.output,
      },
      withGate: { sent: after.sent, failed: after.failed },
      wallMs,
    };
  } finally {
    await client.close();
    await sim.close();
  }
}

/**
 * RunCommand in batches of 100, then DescribeInvocations until no run is Pending (waiting for its
 * agent) or Running.
 */
async function runEverywhere(
  client: EcsClient,
  ids: readonly string[],
  afterSend: () => void = () => undefined,
): Promise<{ sent: number; failed: number; errorCodes: Record<string, number>; succeeded: Set<string> }> {
  const invokeIds: string[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    const res = await client.call('RunCommand', {
      Type: 'RunShellScript',
      CommandContent: 'echo deployed',
      Name: 'deploy',
      InstanceId: ids.slice(i, i + 100),
    });
    invokeIds.push(String(res['InvokeId']));
  }
  afterSend();
  let failed = 0;
  const errorCodes: Record<string, number> = {};
  const succeeded = new Set<string>();
  for (const invokeId of invokeIds) {
    for (;;) {
      const res = await client.call('DescribeInvocations', { InvokeId: invokeId });
      const invocation = (res['Invocations'] as { Invocation: Record<string, unknown>[] }).Invocation[0];
      if (invocation === undefined) throw new Error(`DescribeInvocations does not know ${invokeId}.`);
      const status = invocation['InvocationStatus'];
      if (status === 'Pending' || status === 'Running') {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const runs = (invocation['InvokeInstances'] as { InvokeInstance: Record<string, unknown>[] })
        .InvokeInstance;
      for (const run of runs) {
        if (run['InvocationStatus'] === 'Success') {
          succeeded.add(String(run['InstanceId']));
        } else {
          failed += 1;
          const code = String(run['ErrorCode'] || run['InvocationStatus']);
          errorCodes[code] = (errorCodes[code] ?? 0) + 1;
        }
      }
      break;
    }
  }
  return { sent: ids.length, failed, errorCodes, succeeded };
}

interface GateRun {
  exitCode: number;
  ready: string[];
  stragglers: { instanceId: string; reason: string }[];
  elapsedMs: number;
  apiCalls: number;
  output: string;
}

/** Runs the built CLI against the simulator, IDs on stdin; its human output goes to our stderr. */
async function runGate(
  sim: EcsSimulator,
  ids: readonly string[],
  args: readonly string[],
  output: 'inherit' | 'pipe',
): Promise<GateRun> {
  const child = spawn(process.execPath, [GATE_BIN, ...args], {
    stdio: ['pipe', 'pipe', output],
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      ...(process.env['NO_COLOR'] === undefined ? {} : { NO_COLOR: process.env['NO_COLOR'] }),
      CLOUD_ASSISTANT_GATE_REGION: sim.region,
      CLOUD_ASSISTANT_GATE_ENDPOINT: sim.endpoint,
      ALIBABA_CLOUD_ACCESS_KEY_ID: sim.credentials.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.credentials.accessKeySecret,
      ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdin?.end(`${ids.join('\n')}\n`);
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  let report: {
    ready?: string[];
    notReady?: { instanceId: string; reason: string }[];
    elapsedMs?: number;
    apiCalls?: number;
  };
  try {
    report = JSON.parse(stdout) as typeof report;
  } catch {
    throw new Error(`The gate (exit ${exitCode}) printed no JSON report; is ${GATE_BIN} built? ${stderr}`);
  }
  return {
    exitCode,
    ready: report.ready ?? [],
    stragglers: report.notReady ?? [],
    elapsedMs: report.elapsedMs ?? 0,
    apiCalls: report.apiCalls ?? 0,
    output: stderr,
  };
}

// Run when executed directly (`node dist/demo.js`), not when imported by the smoke test.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  runDemo().then(
    (r) => {
      process.exitCode = r.withGate.failed === 0 ? 0 : 1;
    },
    (error: unknown) => {
      process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
