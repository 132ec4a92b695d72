/** `pnpm --filter @cloud-assistant-gate/example-before-run-command start`: the pattern against the simulator. */
import { startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { deploy } from './deploy.js';

const sim = await startEcsSimulator({
  seed: 1,
  speed: 20, // a 30–90 s boot takes 1.5–4.5 s
  fleets: [{ count: 50, bootMs: { kind: 'uniform', minMs: 30_000, maxMs: 90_000 } }],
});
try {
  const ids = sim.fleet.ids();
  console.log(`Waiting for Cloud Assistant on ${ids.length} instances, then RunCommand…`);
  const { report, invokeIds } = await deploy({
    region: sim.region,
    endpoint: sim.endpoint,
    credentials: sim.credentials,
    instanceIds: ids,
    command: 'echo hello from the gate',
  });
  console.log(
    `All ${report.ready.length} ready after ${(report.elapsedMs / 1000).toFixed(1)} s ` +
      `(${report.rounds} rounds, ${report.apiCalls} API calls); RunCommand invocations: ${invokeIds.join(', ')}`,
  );
} finally {
  await sim.close();
}
