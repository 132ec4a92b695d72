/** `pnpm --filter @cloud-assistant-gate/example-fleet-bootstrap start`: bootstrap as agents arrive. */
import { createEcsClient } from '@cloud-assistant-gate/core';
import { startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { bootstrapFleet } from './bootstrap.js';

const sim = await startEcsSimulator({
  seed: 4,
  speed: 20,
  fleets: [
    { count: 300, bootMs: { kind: 'lognormal', medianMs: 50_000, sigma: 0.4 } },
    { count: 3, neverOnlineShare: 1 },
  ],
});
const client = createEcsClient({ region: sim.region, endpoint: sim.endpoint, credentials: sim.credentials });
try {
  const result = await bootstrapFleet({
    client,
    instanceIds: sim.fleet.ids(),
    command: 'cloud-init status --wait && ./bootstrap.sh',
    timeoutMs: 15_000,
    onRound: (p) =>
      console.log(
        `[${(p.elapsedMs / 1000).toFixed(1)} s] ${p.readyCount}/${p.total} ready (+${p.newlyReady.length})`,
      ),
  });
  for (const b of result.batches) {
    console.log(
      `  +${(b.atMs / 1000).toFixed(1)} s: RunCommand ${b.invokeId} to ${b.instanceIds.length} instances`,
    );
  }
  console.log(`${result.batches.length} batches sent while the fleet was still booting; not ready:`);
  for (const s of result.stragglers) console.log(`  ${s.instanceId}  ${s.reason}`);
} finally {
  await client.close();
  await sim.close();
}
