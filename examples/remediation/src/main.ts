/**
 * `pnpm --filter @cloud-assistant-gate/example-remediation start`: 40 instances launched from a
 * custom image, 4 of them without the Cloud Assistant agent and one a Red Hat image without it.
 * The gate installs the agent on the 5 (Red Hat refuses: installing through the API is not
 * supported there), REBOOTS the 4 it installed on (consent given below), and waits for them.
 */
import { startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { gateWithRemediation } from './remediate.js';

const SPEED = 60; // simulated ms per wall ms: one simulated minute per second
const sim = await startEcsSimulator({
  seed: 12,
  speed: SPEED,
  fleets: [
    { count: 35, bootMs: { kind: 'lognormal', medianMs: 45_000, sigma: 0.3 } },
    { count: 4, neverOnlineShare: 1 }, // the custom image without the agent
    { count: 1, neverOnlineShare: 1, osName: 'Red Hat Enterprise Linux 9.2 64 bit' },
  ],
});
try {
  const ids = sim.fleet.ids();
  const started = Date.now();
  const at = () => `+${((Date.now() - started) / 1000).toFixed(1)} s`;
  console.log(`Waiting for Cloud Assistant on ${ids.length} instances; remediation ON, reboots ALLOWED.`);
  const result = await gateWithRemediation({
    connection: { region: sim.region, endpoint: sim.endpoint, credentials: sim.credentials },
    instanceIds: ids,
    allowReboot: true,
    // The official automation waits one minute; on a 60× clock that is one second of wall time.
    afterMs: 60_000 / SPEED,
    // The waiter's 2–20 s between rounds, roughly scaled to the same clock.
    timing: { minDelayMs: 100, maxDelayMs: 500 },
    timeoutMs: 30_000,
    minReady: ids.length - 1,
    onRemediation: (r) =>
      console.log(
        `${at()}  ${r.instanceId}: ${
          r.outcome === 'installed-and-rebooted'
            ? 'agent installed, instance rebooted'
            : r.outcome === 'install-failed'
              ? `install refused (${r.error})`
              : r.outcome
        }`,
      ),
  });
  console.log(`${result.ready.length}/${ids.length} ready after ${(result.elapsedMs / 1000).toFixed(1)} s.`);
  for (const n of result.notReady) console.log(`  not ready: ${n.instanceId}  ${n.reason}`);
  const rebooted = result.remediations.filter((r) => r.rebootedAt !== undefined).length;
  console.log(
    `Remediated ${result.remediations.length} instances: ${rebooted} installed and rebooted; ` +
      `${sim.stats.count({ action: 'InstallCloudAssistant' })} InstallCloudAssistant and ` +
      `${sim.stats.count({ action: 'RebootInstances' })} RebootInstances calls.`,
  );
} finally {
  await sim.close();
}
