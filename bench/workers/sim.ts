/**
 * The simulator in its own process, so that it does not steal the measured client's CPU.
 * Messages: `start {options}` → `started {url, host, region, regions, credentials, ids}`;
 * `probe` → `probe {cpuMs, requests, byCode, rssMb}`; `stop`.
 */
import { type EcsSimulator, type SimulatorOptions, startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { cpuMs, peakRssMb, serve } from '../lib/proc.js';

let sim: EcsSimulator | undefined;

serve(async (msg, reply) => {
  if (msg.type === 'start') {
    sim = await startEcsSimulator(msg['options'] as SimulatorOptions);
    const ids: Record<string, string[]> = {};
    for (const region of sim.regions) ids[region] = sim.fleet.ids({ region });
    reply({
      type: 'started',
      url: sim.url,
      host: sim.host,
      region: sim.region,
      regions: sim.regions,
      credentials: sim.credentials,
      ids,
    });
  } else if (msg.type === 'probe') {
    reply({
      type: 'probe',
      cpuMs: cpuMs(),
      requests: sim?.stats.total ?? 0,
      byCode: sim?.stats.byCode ?? {},
      rssMb: peakRssMb(),
    });
  }
});
