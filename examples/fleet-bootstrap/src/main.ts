/** `pnpm --filter @cloud-assistant-gate/example-fleet-bootstrap start`: bootstrap as agents arrive, in two regions. */
import { createEcsClient } from '@cloud-assistant-gate/core';
import { startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { bootstrapFleet } from './bootstrap.js';

// One simulator serving two regions on one endpoint; a real fleet would use each region's endpoint.
const sim = await startEcsSimulator({
  seed: 4,
  speed: 20,
  region: 'cn-hangzhou',
  regions: ['cn-hangzhou', 'cn-beijing'],
  fleets: [
    { region: 'cn-hangzhou', count: 200, bootMs: { kind: 'lognormal', medianMs: 50_000, sigma: 0.4 } },
    { region: 'cn-hangzhou', count: 3, neverOnlineShare: 1 },
    { region: 'cn-beijing', count: 100, bootMs: { kind: 'lognormal', medianMs: 60_000, sigma: 0.4 } },
  ],
});
const clients = sim.regions.map((region) =>
  createEcsClient({ region, endpoint: sim.endpoint, credentials: sim.credentials }),
);
try {
  // Hangzhou IDs as they come (bare: the wait finds their region), Beijing ones with their region.
  const ids = [
    ...sim.fleet.ids({ region: 'cn-hangzhou' }),
    ...sim.fleet.ids({ region: 'cn-beijing' }).map((id) => `cn-beijing:${id}`),
  ];
  const result = await bootstrapFleet({
    clients,
    instanceIds: ids,
    command: 'cloud-init status --wait && ./bootstrap.sh',
    timeoutMs: 15_000,
    onRound: (p) =>
      console.log(
        `[${(p.elapsedMs / 1000).toFixed(1)} s] ${p.readyCount}/${p.total} ready (+${p.newlyReady.length})`,
      ),
  });
  for (const b of result.batches) {
    console.log(
      `  +${(b.atMs / 1000).toFixed(1)} s: RunCommand ${b.invokeId} in ${b.region} to ${b.instanceIds.length} instances`,
    );
  }
  console.log(`${result.batches.length} batches sent while the fleet was still booting; not ready:`);
  for (const s of result.stragglers) console.log(`  ${s.instanceId}  ${s.region ?? '?'}  ${s.reason}`);
} finally {
  await Promise.all(clients.map((c) => c.close()));
  await sim.close();
}
