#!/usr/bin/env node
/**
 * `cloud-assistant-gate-sim`: runs the simulator until Ctrl-C or SIGTERM and prints where it is and
 * which test credentials it accepts. The only file here that touches the process. What it prints
 * may come from a scenario file (IDs, regions, the messages quoting it) or the command line: it
 * goes out through core's `printable`/`jsonLine`, so no control character reaches the terminal.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { jsonLine, printable } from '@cloud-assistant-gate/core';
import { mergeCliOptions, parseCliArgs, USAGE } from './cli-args.js';
import type { Scenario } from './scenario.js';
import { startEcsSimulator } from './simulator.js';

async function main(): Promise<number> {
  let request: ReturnType<typeof parseCliArgs>;
  try {
    request = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${printable((err as Error).message, true)}\nRun with --help for the flags.\n`);
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
        `Cannot read the scenario file ${printable(request.scenarioFile)}: ${printable((err as Error).message, true)}\n`,
      );
      return 2;
    }
  }
  let options: ReturnType<typeof mergeCliOptions>;
  try {
    options = mergeCliOptions(scenario, request.options, request);
  } catch (err) {
    process.stderr.write(`${printable((err as Error).message, true)}\nRun with --help for the flags.\n`);
    return 2;
  }
  let sim: Awaited<ReturnType<typeof startEcsSimulator>>;
  try {
    sim = await startEcsSimulator(options);
  } catch (err) {
    // Bad scenario content (a quota for an unknown action, a negative share, …): say what, exit 2.
    if (err instanceof RangeError || err instanceof TypeError) {
      process.stderr.write(`cloud-assistant-gate-sim: ${printable(err.message, true)}\n`);
      return 2;
    }
    throw err;
  }
  // Listening for Ctrl-C before saying "Press Ctrl-C": whoever reads that may press it at once.
  const stopped = new Promise<number>((resolve) => {
    let stoppingSince: number | undefined;
    const stop = (signal: NodeJS.Signals) => {
      // One Ctrl-C reaches us twice under `pnpm sim` (from the terminal, and forwarded by pnpm):
      // the repeat must not kill the process, or pnpm reports "ELIFECYCLE Command failed". A
      // second Ctrl-C a moment later still means "now".
      if (stoppingSince !== undefined) {
        if (Date.now() - stoppingSince > 1000) process.exit(130);
        return;
      }
      stoppingSince = Date.now();
      if (!request.json) process.stdout.write(`\n${signal}: stopping after ${sim.stats.total} requests.\n`);
      // The handlers stay, and the process lingers until the copies of this Ctrl-C forwarded by
      // pnpm and npx (milliseconds later) have landed on them: one arriving while Node exits
      // would kill it by signal, which pnpm reports as a failure.
      void sim
        .close()
        .then(() =>
          setTimeout(
            () => resolve(0),
            Math.max(0, FORWARDED_SIGNAL_WINDOW_MS - (Date.now() - stoppingSince!)),
          ),
        );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const counts = sim.fleet.counts();
  const ids = sim.fleet.ids();
  if (request.idsOut !== undefined) {
    try {
      writeFileSync(request.idsOut, ids.length === 0 ? '' : `${ids.join('\n')}\n`);
    } catch (err) {
      process.stderr.write(
        `Cannot write the instance IDs to ${printable(request.idsOut)}: ${printable((err as NodeJS.ErrnoException).code ?? (err as Error).message, true)}\n`,
      );
      await sim.close();
      return 2;
    }
  }
  if (request.json) {
    process.stdout.write(
      jsonLine({
        url: sim.url,
        region: sim.region,
        regions: sim.regions,
        credentials: sim.credentials,
        stsCredentials: sim.stsCredentials,
        instances: counts.total,
        ids,
        speed: sim.clock.speed,
      }),
    );
  } else {
    const sts = sim.stsCredentials;
    // IDs, regions and credentials may come from a scenario file: one printable pass over it all.
    process.stdout.write(
      printable(
        [
          `ECS simulator listening on ${sim.url}`,
          `  region           ${sim.region}${sim.regions.length > 1 ? ` (also ${sim.regions.filter((r) => r !== sim.region).join(', ')})` : ''}`,
          `  instances        ${counts.total} (${counts.online} online now), clock speed ${sim.clock.speed}x`,
          `  AccessKeyId      ${sim.credentials.accessKeyId}`,
          `  AccessKeySecret  ${sim.credentials.accessKeySecret}`,
          ...(sts
            ? [`  STS              ${sts.accessKeyId} / ${sts.accessKeySecret} / token ${sts.securityToken}`]
            : []),
          ...idLines(ids, request.idsOut),
          '',
          `  export ALIBABA_CLOUD_ACCESS_KEY_ID=${sim.credentials.accessKeyId} ALIBABA_CLOUD_ACCESS_KEY_SECRET=${sim.credentials.accessKeySecret}`,
          `  cloud-assistant-gate wait --region ${sim.region} --endpoint ${sim.url} ${request.idsOut === undefined ? (ids.length <= SHOWN_IDS ? ids.join(' ') : '--ids-file ids.txt') : `--ids-file ${request.idsOut}`}`,
          `  official SDK: new $OpenApiUtil.Config({ endpoint: '${sim.host}', protocol: 'http', regionId: '${sim.region}', ... })`,
          '',
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
        true,
      ),
    );
  }
  return stopped;
}

/** How long after a Ctrl-C its forwarded copies are absorbed (they come within milliseconds). */
const FORWARDED_SIGNAL_WINDOW_MS = 300;

/** The IDs printed at start: all of a small fleet; for a large one, a few and how to get them all. */
const SHOWN_IDS = 10;

function idLines(ids: readonly string[], idsOut: string | undefined): string[] {
  if (idsOut !== undefined) return [`  instance IDs     written to ${idsOut} (${ids.length})`];
  if (ids.length <= SHOWN_IDS) return [`  instance IDs     ${ids.join(' ')}`];
  return [
    `  instance IDs     ${ids.slice(0, 3).join(' ')} … and ${ids.length - 3} more (--ids-out FILE writes them all)`,
  ];
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`cloud-assistant-gate-sim: ${printable((err as Error).message, true)}\n`);
    process.exitCode = 1;
  },
);
