import { defaults } from '../options.js';

/**
 * The one table of command-line options: the parser, the environment lookup and `--help` are
 * all generated from it, so a flag cannot exist without being documented.
 */
export interface OptionSpec {
  readonly name: string;
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Placeholder for the value in `--help`. */
  readonly value?: string;
  /** The environment variable that sets it when the flag is absent. */
  readonly env?: string;
  /** The default, as shown in `--help`. */
  readonly default?: string;
  readonly multiple?: boolean;
  readonly group: 'Connection' | 'Timing' | 'Readiness' | 'Remediation' | 'Input and output' | 'Other';
  readonly description: string;
}

/*
 * The defaults `--help` shows are read from the library's `defaults`, so the two cannot drift: a
 * flag left out leaves the engine's default (see `wait-options.ts`), and this is what it says.
 */
const seconds = (ms: number): string => `${ms / 1000}s`;
const minutes = (ms: number): string => `${ms / 60_000}m`;

export const ENV_PREFIX = 'CLOUD_ASSISTANT_GATE_';

export const OPTIONS: readonly OptionSpec[] = [
  {
    name: 'region',
    type: 'string',
    value: 'ID[,ID…]',
    env: `${ENV_PREFIX}REGION`,
    group: 'Connection',
    description: 'Regions, comma-separated (else ALIBABA_CLOUD_REGION_ID, else profile region_id).',
  },
  {
    name: 'endpoint',
    type: 'string',
    value: 'URL',
    env: `${ENV_PREFIX}ENDPOINT`,
    default: 'the region’s ECS endpoint',
    group: 'Connection',
    description: 'ECS endpoint: a host (HTTPS) or a URL; http:// only to loopback (the simulator).',
  },
  {
    name: 'profile',
    type: 'string',
    value: 'NAME',
    env: `${ENV_PREFIX}PROFILE`,
    default: 'ALIBABA_CLOUD_PROFILE, else current',
    group: 'Connection',
    description: 'Profile of ~/.aliyun/config.json to use; refused if environment keys come first.',
  },
  {
    name: 'timeout',
    type: 'string',
    value: 'DURATION',
    env: `${ENV_PREFIX}TIMEOUT`,
    default: minutes(defaults.timeoutMs),
    group: 'Timing',
    description: 'Give up after this long, API latency included (one last poll just before).',
  },
  {
    name: 'first-answer-timeout',
    type: 'string',
    value: 'DURATION',
    env: `${ENV_PREFIX}FIRST_ANSWER_TIMEOUT`,
    default: seconds(defaults.firstAnswerTimeoutMs),
    group: 'Timing',
    description: 'Fail fast (exit 4) if the API has not answered once by then (wrong endpoint).',
  },
  {
    name: 'min-delay',
    type: 'string',
    value: 'DURATION',
    env: `${ENV_PREFIX}MIN_DELAY`,
    default: seconds(defaults.minDelayMs),
    group: 'Timing',
    description: 'Shortest pause between polling rounds.',
  },
  {
    name: 'max-delay',
    type: 'string',
    value: 'DURATION',
    env: `${ENV_PREFIX}MAX_DELAY`,
    default: seconds(defaults.maxDelayMs),
    group: 'Timing',
    description: 'Longest pause between polling rounds (backoff cap, jittered).',
  },
  {
    name: 'concurrency',
    type: 'string',
    value: 'N',
    env: `${ENV_PREFIX}CONCURRENCY`,
    default: String(defaults.concurrency),
    group: 'Timing',
    description: 'API calls (batches of up to 100 IDs) in flight at once.',
  },
  {
    name: 'min-ready',
    type: 'string',
    value: 'N|P%',
    env: `${ENV_PREFIX}MIN_READY`,
    default: defaults.minReady === 'all' ? '100%' : String(defaults.minReady),
    group: 'Readiness',
    description: 'Succeed once this many (or this share of) instances are ready.',
  },
  {
    name: 'require-session-manager',
    type: 'boolean',
    env: `${ENV_PREFIX}REQUIRE_SESSION_MANAGER`,
    default: 'off',
    group: 'Readiness',
    description: 'Ready only if the agent supports Session Manager.',
  },
  {
    name: 'min-version',
    type: 'string',
    value: 'VERSION',
    env: `${ENV_PREFIX}MIN_VERSION`,
    default: 'any',
    group: 'Readiness',
    description: 'Ready only if the agent version is at least this, e.g. 2.2.3.189.',
  },
  {
    name: 'max-heartbeat-age',
    type: 'string',
    value: 'DURATION',
    env: `${ENV_PREFIX}MAX_HEARTBEAT_AGE`,
    default: 'off',
    group: 'Readiness',
    description: 'Ready only if the last heartbeat is at most this old.',
  },
  {
    name: 'not-found',
    type: 'string',
    value: 'wait|fail',
    env: `${ENV_PREFIX}NOT_FOUND`,
    default: defaults.notFound,
    group: 'Readiness',
    description: 'Unknown IDs: keep waiting for them to appear, or fail at once.',
  },
  {
    name: 'stopped',
    type: 'string',
    value: 'wait|fail',
    env: `${ENV_PREFIX}STOPPED`,
    default: defaults.stoppedInstances,
    group: 'Readiness',
    description: 'Stopped instances (DescribeInstanceStatus): keep waiting, or give up on them.',
  },
  {
    name: 'install-missing',
    type: 'boolean',
    group: 'Remediation',
    description: 'Install Cloud Assistant on Running instances whose agent never reported (below).',
  },
  {
    name: 'allow-reboot',
    type: 'boolean',
    group: 'Remediation',
    description: 'With --install-missing: REBOOT them so the agent starts. Never without it.',
  },
  {
    name: 'remediate-after',
    type: 'string',
    value: 'DURATION',
    env: `${ENV_PREFIX}REMEDIATE_AFTER`,
    default: seconds(defaults.remediateAfterMs),
    group: 'Remediation',
    description: 'How long an instance must be Running with no agent before it is remediated.',
  },
  {
    name: 'dry-run',
    type: 'boolean',
    group: 'Remediation',
    description: 'With --install-missing: print what would be installed and rebooted, and exit.',
  },
  {
    name: 'ids-file',
    type: 'string',
    value: 'FILE',
    multiple: true,
    group: 'Input and output',
    description: 'Read IDs from FILE (- for stdin): whitespace-separated, # comments. Repeatable.',
  },
  {
    name: 'json',
    type: 'boolean',
    group: 'Input and output',
    description: 'Print exactly one JSON report on stdout; human text goes to stderr.',
  },
  {
    name: 'quiet',
    type: 'boolean',
    short: 'q',
    group: 'Input and output',
    description: 'Print nothing but errors (the JSON report still prints with --json).',
  },
  {
    name: 'no-progress',
    type: 'boolean',
    group: 'Input and output',
    description: 'No progress bar or progress lines; still print the summary.',
  },
  { name: 'help', type: 'boolean', short: 'h', group: 'Other', description: 'Show this help.' },
  { name: 'version', type: 'boolean', group: 'Other', description: 'Show the version.' },
];

/** The exit codes, in the order `--help` lists them. */
export const EXIT_CODE_HELP: readonly (readonly [number, string])[] = [
  [0, 'every instance (or the --min-ready quorum) is ready; status: statuses read'],
  [1, 'timed out, or the quorum can no longer be met; the stragglers are listed'],
  [2, 'bad usage or input: unknown flag, bad value, bad or empty ID list'],
  [3, 'credentials missing or broken, signature rejected, or permission denied (also for every remediation)'],
  [4, 'an API or network failure retries could not overcome (or no answer: --first-answer-timeout)'],
  [130, 'aborted by SIGINT or SIGTERM (Ctrl-C), after a clean stop'],
];
