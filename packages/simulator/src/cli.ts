#!/usr/bin/env node
/**
 * `cloud-assistant-gate-sim`: runs the simulator until Ctrl-C or SIGTERM and prints where it is and
 * which test credentials it accepts. The only file here that touches the process.
 */
import { readFileSync } from 'node:fs';
import { mergeCliOptions, parseCliArgs, USAGE } from './cli-args.js';
import type { Scenario } from './simulator.js';
import { startEcsSimulator } from './simulator.js';

async function main(): Promise<number> {
  let request: ReturnType<typeof parseCliArgs>;
  try {
    request = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (request.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let scenario: Scenario | undefined;
  if (request.scenarioFile !== undefined) {
    try {
      scenario = JSON.parse(readFileSync(request.scenarioFile, 'utf8')) as Scenario;
    } catch (err) {
      process.stderr.write(
        `Cannot read the scenario file ${request.scenarioFile}: ${(err as Error).message}\n`,
      );
      return 2;
    }
  }
  let options: ReturnType<typeof mergeCliOptions>;
  try {
    options = mergeCliOptions(scenario, request.options, request);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  let sim: Awaited<ReturnType<typeof startEcsSimulator>>;
  try {
    sim = await startEcsSimulator(options);
  } catch (err) {
    // Bad scenario content (a quota for an unknown action, a negative share, …): say what, exit 2.
    if (err instanceof RangeError || err instanceof TypeError) {
      process.stderr.write(`cloud-assistant-gate-sim: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const counts = sim.fleet.counts();
  if (request.json) {
    process.stdout.write(
      `${JSON.stringify({
        url: sim.url,
        region: sim.region,
        regions: sim.regions,
        credentials: sim.credentials,
        stsCredentials: sim.stsCredentials,
        instances: counts.total,
        speed: sim.clock.speed,
      })}\n`,
    );
  } else {
    const sts = sim.stsCredentials;
    process.stdout.write(
      [
        `ECS simulator listening on ${sim.url}`,
        `  region           ${sim.region}${sim.regions.length > 1 ? ` (also ${sim.regions.filter((r) => r !== sim.region).join(', ')})` : ''}`,
        `  instances        ${counts.total} (${counts.online} online now), clock speed ${sim.clock.speed}x`,
        `  AccessKeyId      ${sim.credentials.accessKeyId}`,
        `  AccessKeySecret  ${sim.credentials.accessKeySecret}`,
        ...(sts
          ? [`  STS              ${sts.accessKeyId} / ${sts.accessKeySecret} / token ${sts.securityToken}`]
          : []),
        '',
        `  export ALIBABA_CLOUD_ACCESS_KEY_ID=${sim.credentials.accessKeyId} ALIBABA_CLOUD_ACCESS_KEY_SECRET=${sim.credentials.accessKeySecret}`,
        `  official SDK: new $OpenApiUtil.Config({ endpoint: '${sim.host}', protocol: 'http', regionId: '${sim.region}', ... })`,
        '',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      if (!request.json) process.stdout.write(`\n${signal}: stopping after ${sim.stats.total} requests.\n`);
      void sim.close().then(() => resolve(0));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`cloud-assistant-gate-sim: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
