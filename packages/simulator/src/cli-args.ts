/**
 * Command-line flags of `cloud-assistant-gate-sim`, turned into `SimulatorOptions`. Pure: the bin
 * (`cli.ts`) does the reading of files, printing and signals.
 */
import { parseArgs } from 'node:util';
import { closestMatch } from '@cloud-assistant-gate/core/options';
import type { NotFoundMode } from './actions/context.js';
import { parseDistribution } from './distribution.js';
import { durationMs, parseDurationMs } from './duration.js';
import { AGENT_ERROR_CODES, type AgentErrorCode, type FleetSpec, type OsType } from './fleet.js';
import type { Scenario, SimulatorOptions } from './simulator.js';

export const USAGE = `Usage: cloud-assistant-gate-sim [options]

A simulated Alibaba Cloud ECS region on loopback (DescribeCloudAssistantStatus, RunCommand,
DescribeInvocations, DescribeInvocationResults, DescribeInstanceStatus, RebootInstance(s),
InstallCloudAssistant, SendFile, DescribeSendFileResults), signature-checked like the real one.

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
  --stopped SHARE       share (0-1) of instances created Stopped (default 0)
  --os-name NAME        the image's OS name, e.g. "Red Hat Enterprise Linux 9" (InstallCloudAssistant
                        refuses Red Hat)
  --delivery-window DUR how long a command or file sent while the agent is down waits for it, in
                        simulated time: 500ms, 90s, 2m; a bare number means seconds (default 60s)
  --agent-errors LIST   shares of deliveries failing with agent error codes, e.g.
                        ClientNotResponse=0.01,DeliveryTimeout=0.02 (also ClientIsUpgrading,
                        ClientNeedUpgrade)
  --speed X             simulated seconds per wall second (default 1; 60 = a minute per second)
  --report-times CLOCK  simulated (default) or wall: wall reports LastHeartbeatTime and other times
                        relative to the wall clock, so heartbeat ages stay right at any --speed
  --seed S              seed for every random choice (default 1)
  --not-found MODE      unknown IDs: error (404 for the whole request, default) or omit
  --quota ACTION=N[/WINDOW]
                        account quota, ECS's throttling model: N calls per WINDOW (default 1m;
                        e.g. 10s, 500ms, 1m) per account, region and action; ACTION * = every
                        action without its own --quota. Repeatable, one WINDOW for all. Over it:
                        400 Throttling.User. Replaces the scenario's quota limits
  --quota-retry-after   with the quota, send x-acs-retry-after (ms to the next window)
  --throttle RPS        token bucket per account and action (not ECS's model; see --quota),
                        answered with Throttling.User and x-acs-retry-after
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
  /** `--quota-retry-after`, applied by {@link mergeCliOptions} (to the flags' or the scenario's quota). */
  readonly quotaRetryAfter: boolean;
}

/** A window such as `1m`, `10s`, `500ms`, `1m30s`: a unit is required (`60000` alone is ambiguous). */
export function parseWindow(text: string, flag: string): number {
  const ms = durationMs(text, undefined);
  if (ms === undefined) {
    throw new RangeError(
      `${flag}: window ${JSON.stringify(text)} is not a duration; use a number with a unit (ms, s, m, h), e.g. 1m, 10s or 500ms`,
    );
  }
  if (!Number.isInteger(ms) || ms < 1) {
    throw new RangeError(`${flag}: window ${JSON.stringify(text)} must be a whole number of ms ≥ 1`);
  }
  return ms;
}

/** `--quota ACTION=N[/WINDOW]` flags → `quota` (the action names are checked when the simulator starts). */
export function parseQuotaFlags(values: readonly string[]): {
  limits: Record<string, number>;
  windowMs?: number;
} {
  const limits: Record<string, number> = {};
  let windowMs: number | undefined;
  let windowText: string | undefined;
  for (const value of values) {
    const m = /^([^=]+)=([^/]*)(?:\/(.*))?$/.exec(value);
    if (m === null) {
      throw new RangeError(
        `--quota ${JSON.stringify(value)}: expected ACTION=N or ACTION=N/WINDOW, e.g. DescribeCloudAssistantStatus=600/1m or '*=1200'`,
      );
    }
    const action = m[1]!.trim();
    const n = m[2]!.trim();
    if (!/^\d+$/.test(n)) {
      throw new RangeError(
        `--quota ${JSON.stringify(value)}: N must be a whole number of calls ≥ 0, got ${JSON.stringify(n)}`,
      );
    }
    if (action in limits) throw new RangeError(`--quota: ${action} is given twice`);
    limits[action] = Number(n);
    if (m[3] !== undefined) {
      const w = parseWindow(m[3].trim(), `--quota ${value}`);
      if (windowMs !== undefined && w !== windowMs) {
        throw new RangeError(
          `--quota: every limit shares one window, but ${windowText} and ${m[3].trim()} differ; give the window once (or the same everywhere)`,
        );
      }
      windowMs = w;
      windowText = m[3].trim();
    }
  }
  return windowMs === undefined ? { limits } : { limits, windowMs };
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

/** `ClientNotResponse=0.01,DeliveryTimeout=0.02` → shares by code. */
function parseAgentErrors(text: string): Partial<Record<AgentErrorCode, number>> {
  const out: Partial<Record<AgentErrorCode, number>> = {};
  let total = 0;
  for (const part of text.split(',')) {
    const [code, value, ...rest] = part.trim().split('=');
    if (!AGENT_ERROR_CODES.includes(code as AgentErrorCode) || value === undefined || rest.length > 0)
      throw new RangeError(
        `--agent-errors: expected CODE=SHARE[,CODE=SHARE] with CODE one of ${AGENT_ERROR_CODES.join(', ')}, got ${JSON.stringify(part)}`,
      );
    const p = share(value, 'agent-errors') ?? 0;
    out[code as AgentErrorCode] = p;
    total += p;
  }
  if (total > 1) throw new RangeError(`--agent-errors: the shares add up to ${total}, more than 1`);
  return out;
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
      stopped: { type: 'string' },
      'os-name': { type: 'string' },
      'delivery-window': { type: 'string' },
      'agent-errors': { type: 'string' },
      speed: { type: 'string' },
      'report-times': { type: 'string' },
      seed: { type: 'string' },
      'not-found': { type: 'string' },
      throttle: { type: 'string' },
      'ids-out': { type: 'string' },
      quota: { type: 'string', multiple: true },
      'quota-retry-after': { type: 'boolean', default: false },
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
    values.stopped,
    values['os-name'],
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
    const stopped = share(values.stopped, 'stopped');
    if (stopped !== undefined) spec.stoppedShare = stopped;
    const osName = values['os-name'];
    if (osName !== undefined) {
      if (osName.trim() === '')
        throw new RangeError('--os-name needs a name, e.g. "Red Hat Enterprise Linux 9"');
      spec.osName = osName;
    }
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
  const window = values['delivery-window'];
  if (window !== undefined) set('deliveryWindowMs', parseDurationMs(window, '--delivery-window'));
  const agentErrors =
    values['agent-errors'] === undefined ? undefined : parseAgentErrors(values['agent-errors']);
  if (throttle !== undefined || agentErrors !== undefined)
    set('faults', {
      ...(throttle === undefined ? {} : { rateLimit: { ratePerSecond: throttle, retryAfter: true } }),
      ...(agentErrors === undefined ? {} : { agentErrors }),
    });
  const quotaRetryAfter = values['quota-retry-after'];
  if (values.quota !== undefined && values.quota.length > 0) set('quota', parseQuotaFlags(values.quota));
  return {
    help: values.help,
    json: values.json,
    idsOut: values['ids-out'],
    scenarioFile: values.scenario,
    options: options as SimulatorOptions,
    quotaRetryAfter,
  };
}

/**
 * Flags over the scenario file; with neither, a default fleet of 10 instances booting like real
 * ones. Quota fields are merged one by one: `--quota` limits replace the scenario's limits, a
 * `/WINDOW` replaces its `windowMs`, `--quota-retry-after` sets `retryAfter`.
 */
export function mergeCliOptions(
  scenario: Scenario | undefined,
  flags: SimulatorOptions,
  extra: { readonly quotaRetryAfter?: boolean } = {},
): SimulatorOptions {
  const merged: SimulatorOptions = { ...scenario, ...flags };
  let quota = scenario?.quota;
  if (flags.quota !== undefined) {
    const base = typeof quota === 'object' && quota !== null && !Array.isArray(quota) ? quota : {};
    quota = { ...base, ...flags.quota };
  }
  if (extra.quotaRetryAfter) {
    if (quota === undefined) {
      throw new RangeError(
        '--quota-retry-after needs a quota: give --quota ACTION=N[/WINDOW] or a scenario with "quota"',
      );
    }
    quota = { ...quota, retryAfter: true };
  }
  const withQuota = quota === undefined ? merged : { ...merged, quota };
  if (withQuota.fleets === undefined && withQuota.instances === undefined)
    return { ...withQuota, fleets: [{ count: 10 }] };
  if (flags.faults && scenario?.faults)
    return { ...withQuota, faults: { ...scenario.faults, ...flags.faults } };
  return withQuota;
}
