/**
 * Command-line flags of `cloud-assistant-gate-sim`, turned into `SimulatorOptions`. Pure: the bin
 * (`cli.ts`) does the reading of files, printing and signals.
 */
import { parseArgs } from 'node:util';
import { closestMatch } from '@cloud-assistant-gate/core';
import type { NotFoundMode } from './actions/context.js';
import { parseDistribution } from './distribution.js';
import type { FleetSpec, OsType } from './fleet.js';
import type { Scenario, SimulatorOptions } from './simulator.js';

export const USAGE = `Usage: cloud-assistant-gate-sim [options]

A simulated Alibaba Cloud ECS region on loopback (DescribeCloudAssistantStatus, RunCommand,
DescribeInvocations, DescribeInvocationResults), signature-checked like the real one.

Options:
  --scenario FILE       JSON scenario (same shape as startEcsSimulator options); flags override it
  --port N              port to listen on (default 0: any free port)
  --host ADDR           address to listen on (default 127.0.0.1)
  --region ID           main region (default cn-hangzhou)
  --regions A,B         regions the API accepts (default: the main region)
  --instances N         instances to create in the main region (default 10)
  --os OS               Linux, Windows or FreeBSD (default Linux)
  --boot DIST           time to first heartbeat: fixed:T | uniform:MIN:MAX | lognormal:MEDIAN:SIGMA,
                        times as 90s, 1m30s, 500ms or bare ms (default lognormal:45s:0.35)
  --never-online SHARE  share (0-1) of agents that never come online (default 0)
  --flapping SHARE      share (0-1) of agents that go offline again (default 0)
  --appear DIST         delay before the API knows a new instance (default 0)
  --managed SHARE       share (0-1) of managed instances (mi- IDs) (default 0)
  --speed X             simulated seconds per wall second (default 1; 60 = a minute per second)
  --report-times CLOCK  simulated (default) or wall: wall reports LastHeartbeatTime and other times
                        relative to the wall clock, so heartbeat ages stay right at any --speed
  --seed S              seed for every random choice (default 1)
  --not-found MODE      unknown IDs: error (404 for the whole request, default) or omit
  --throttle RPS        rate limit per AccessKey and action, answered with Throttling.User
  --ids-out FILE        write the instance IDs to FILE, one per line (for --ids-file)
  --json                print the endpoint, credentials and instance IDs as one JSON line
  -h, --help            show this help
`;

export interface CliRequest {
  readonly help: boolean;
  readonly json: boolean;
  /** `--ids-out FILE`: where to write the instance IDs. */
  readonly idsOut: string | undefined;
  readonly scenarioFile: string | undefined;
  /** Options from flags only; merge over the scenario file's content. */
  readonly options: SimulatorOptions;
}

function share(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new RangeError(`--${name} must be a number between 0 and 1, got ${value}`);
  return n;
}

function positive(value: string | undefined, name: string, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n >= 0) || (integer && !Number.isInteger(n))) {
    throw new RangeError(`--${name} must be a${integer ? 'n integer' : ' number'} ≥ 0, got ${value}`);
  }
  return n;
}

/**
 * Parses the flags; an unknown one gets a did-you-mean (the same edit distance as the gate's CLI),
 * against every flag that `USAGE` documents.
 */
export function parseCliArgs(argv: readonly string[]): CliRequest {
  try {
    return parseFlags(argv);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw error;
    const flag = /'([^']+)'/.exec((error as Error).message)?.[1] ?? '';
    const known = [...USAGE.matchAll(/^ {2}(?:-\w, )?--([a-z-]+)/gm)].map((m) => m[1]!);
    const near = closestMatch(flag.replace(/^-+/, '').split('=')[0] ?? '', known);
    throw new RangeError(
      `Unknown option ${JSON.stringify(flag)}.${near === undefined ? '' : ` Did you mean --${near}?`}`,
    );
  }
}

function parseFlags(argv: readonly string[]): CliRequest {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      scenario: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      region: { type: 'string' },
      regions: { type: 'string' },
      instances: { type: 'string' },
      os: { type: 'string' },
      boot: { type: 'string' },
      'never-online': { type: 'string' },
      flapping: { type: 'string' },
      appear: { type: 'string' },
      managed: { type: 'string' },
      speed: { type: 'string' },
      'report-times': { type: 'string' },
      seed: { type: 'string' },
      'not-found': { type: 'string' },
      throttle: { type: 'string' },
      'ids-out': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const notFound = values['not-found'];
  if (notFound !== undefined && notFound !== 'error' && notFound !== 'omit') {
    throw new RangeError(`--not-found must be error or omit, got ${notFound}`);
  }
  const reportTimes = values['report-times'];
  if (reportTimes !== undefined && reportTimes !== 'simulated' && reportTimes !== 'wall') {
    throw new RangeError(`--report-times must be simulated or wall, got ${reportTimes}`);
  }
  const os = values.os;
  if (os !== undefined && !['Linux', 'Windows', 'FreeBSD'].includes(os)) {
    throw new RangeError(`--os must be Linux, Windows or FreeBSD, got ${os}`);
  }
  const count = positive(values.instances, 'instances', true);
  const fleetFlags = [
    values.instances,
    values.os,
    values.boot,
    values['never-online'],
    values.flapping,
    values.appear,
    values.managed,
  ];
  let fleets: FleetSpec[] | undefined;
  if (fleetFlags.some((v) => v !== undefined)) {
    const spec: Record<string, unknown> = { count: count ?? 10 };
    if (values.region !== undefined) spec.region = values.region;
    if (os !== undefined) spec.osType = os as OsType;
    if (values.boot !== undefined) spec.bootMs = parseDistribution(values.boot, '--boot');
    if (values.appear !== undefined) spec.appearAfterMs = parseDistribution(values.appear, '--appear');
    const never = share(values['never-online'], 'never-online');
    if (never !== undefined) spec.neverOnlineShare = never;
    const flap = share(values.flapping, 'flapping');
    if (flap !== undefined) spec.flappingShare = flap;
    const managed = share(values.managed, 'managed');
    if (managed !== undefined) spec.managedShare = managed;
    fleets = [spec as FleetSpec];
  }
  const throttle = positive(values.throttle, 'throttle');
  const options: Record<string, unknown> = {};
  const set = (key: keyof SimulatorOptions, v: unknown) => {
    if (v !== undefined) options[key] = v;
  };
  set('port', positive(values.port, 'port', true));
  set('host', values.host);
  set('region', values.region);
  set(
    'regions',
    values.regions
      ?.split(',')
      .map((r) => r.trim())
      .filter(Boolean),
  );
  set('speed', positive(values.speed, 'speed'));
  set('reportTimes', reportTimes);
  set('seed', values.seed);
  set('notFoundMode', notFound as NotFoundMode | undefined);
  set('fleets', fleets);
  if (throttle !== undefined) set('faults', { rateLimit: { ratePerSecond: throttle, retryAfter: true } });
  return {
    help: values.help,
    json: values.json,
    idsOut: values['ids-out'],
    scenarioFile: values.scenario,
    options: options as SimulatorOptions,
  };
}

/** Flags over the scenario file; with neither, a default fleet of 10 instances booting like real ones. */
export function mergeCliOptions(scenario: Scenario | undefined, flags: SimulatorOptions): SimulatorOptions {
  const merged: SimulatorOptions = { ...scenario, ...flags };
  if (merged.fleets === undefined && merged.instances === undefined)
    return { ...merged, fleets: [{ count: 10 }] };
  if (flags.faults && scenario?.faults) return { ...merged, faults: { ...scenario.faults, ...flags.faults } };
  return merged;
}
