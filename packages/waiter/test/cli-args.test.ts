import { describe, expect, it } from 'vitest';
import { type CliSettings, parseCliArgs, parseMinReady } from '../src/cli/args.js';
import { CliUsageError } from '../src/cli/errors.js';
import { OPTIONS } from '../src/cli/options.js';

const run = (argv: string[], env: Record<string, string> = {}): CliSettings => {
  const parsed = parseCliArgs(argv, env);
  if (parsed.kind !== 'run') throw new Error(`expected a run, got ${parsed.kind}`);
  return parsed.settings;
};
const fails = (argv: string[], env: Record<string, string> = {}): string => {
  try {
    parseCliArgs(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(CliUsageError);
    return (error as Error).message;
  }
  throw new Error('expected a usage error');
};

describe('parseCliArgs', () => {
  it('reads every flag of wait', () => {
    const s = run([
      'wait',
      '--region=cn-hangzhou',
      '--endpoint',
      'http://127.0.0.1:9999',
      '--profile',
      'prod',
      '--timeout',
      '15m',
      '--first-answer-timeout',
      '30s',
      '--min-delay',
      '500ms',
      '--max-delay',
      '30s',
      '--concurrency',
      '8',
      '--min-ready',
      '95%',
      '--require-session-manager',
      '--min-version',
      '2.2.3.189',
      '--max-heartbeat-age',
      '3m',
      '--not-found',
      'fail',
      '--ids-file',
      'a.txt',
      '--ids-file',
      '-',
      '--json',
      '-q',
      '--no-progress',
      'i-a',
      'i-b',
    ]);
    expect(s).toEqual({
      command: 'wait',
      regions: { values: ['cn-hangzhou'], from: '--region' },
      endpoint: 'http://127.0.0.1:9999',
      profile: { name: 'prod', from: '--profile' },
      timeoutMs: 900_000,
      firstAnswerTimeoutMs: 30_000,
      minDelayMs: 500,
      maxDelayMs: 30_000,
      concurrency: 8,
      minReady: { percent: 95 },
      requireSessionManager: true,
      minVersion: '2.2.3.189',
      maxHeartbeatAgeMs: 180_000,
      notFound: 'fail',
      dryRun: false,
      idArgs: ['i-a', 'i-b'],
      idsFiles: ['a.txt', '-'],
      json: true,
      quiet: true,
      progress: false,
    } satisfies CliSettings);
  });

  it('leaves unset options to the engine defaults', () => {
    expect(run(['wait', 'i-a'])).toEqual({
      command: 'wait',
      requireSessionManager: false,
      dryRun: false,
      idArgs: ['i-a'],
      idsFiles: [],
      json: false,
      quiet: false,
      progress: true,
    });
  });

  it('reads every environment variable, and flags beat them', () => {
    const env = {
      CLOUD_ASSISTANT_GATE_REGION: 'cn-beijing',
      CLOUD_ASSISTANT_GATE_ENDPOINT: 'ecs.example.com',
      CLOUD_ASSISTANT_GATE_PROFILE: 'ci',
      CLOUD_ASSISTANT_GATE_TIMEOUT: '90s',
      CLOUD_ASSISTANT_GATE_FIRST_ANSWER_TIMEOUT: '20s',
      CLOUD_ASSISTANT_GATE_MIN_DELAY: '1s',
      CLOUD_ASSISTANT_GATE_MAX_DELAY: '10s',
      CLOUD_ASSISTANT_GATE_CONCURRENCY: '2',
      CLOUD_ASSISTANT_GATE_MIN_READY: '3',
      CLOUD_ASSISTANT_GATE_REQUIRE_SESSION_MANAGER: 'true',
      CLOUD_ASSISTANT_GATE_MIN_VERSION: '2.1',
      CLOUD_ASSISTANT_GATE_MAX_HEARTBEAT_AGE: '5m',
      CLOUD_ASSISTANT_GATE_NOT_FOUND: 'fail',
      CLOUD_ASSISTANT_GATE_STOPPED: 'fail',
      CLOUD_ASSISTANT_GATE_REMEDIATE_AFTER: '2m',
    };
    expect(run(['status'], env)).toMatchObject({
      regions: { values: ['cn-beijing'], from: 'CLOUD_ASSISTANT_GATE_REGION' },
      endpoint: 'ecs.example.com',
      profile: { name: 'ci', from: 'CLOUD_ASSISTANT_GATE_PROFILE' },
      timeoutMs: 90_000,
      firstAnswerTimeoutMs: 20_000,
      minDelayMs: 1000,
      maxDelayMs: 10_000,
      concurrency: 2,
      minReady: { count: 3 },
      requireSessionManager: true,
      minVersion: '2.1',
      maxHeartbeatAgeMs: 300_000,
      notFound: 'fail',
      stopped: 'fail',
    });
    expect(run(['wait', '--install-missing', 'i-a'], env).remediate).toEqual({
      reboot: false,
      afterMs: 120_000,
    });
    expect(
      run(['status', '--region', 'cn-shanghai', '--timeout', '2m', '--not-found', 'wait'], env),
    ).toMatchObject({
      regions: { values: ['cn-shanghai'], from: '--region' },
      timeoutMs: 120_000,
      notFound: 'wait',
    });
    // Every option with an env var is covered above.
    const covered = new Set(Object.keys(env));
    for (const o of OPTIONS) if (o.env !== undefined) expect(covered, o.env).toContain(o.env);
  });

  it('treats an empty environment variable as unset and falls back to ALIBABA_CLOUD_REGION_ID', () => {
    expect(
      run(['status'], { CLOUD_ASSISTANT_GATE_TIMEOUT: '', ALIBABA_CLOUD_REGION_ID: 'cn-qingdao' }),
    ).toMatchObject({
      regions: { values: ['cn-qingdao'], from: 'ALIBABA_CLOUD_REGION_ID' },
    });
    expect(run(['status'], { CLOUD_ASSISTANT_GATE_TIMEOUT: '' }).timeoutMs).toBeUndefined();
  });

  it('answers --help and --version before anything else, even with bad flags after a command', () => {
    expect(parseCliArgs(['--help'], {})).toEqual({ kind: 'help' });
    expect(parseCliArgs(['wait', '-h'], {})).toEqual({ kind: 'help' });
    expect(parseCliArgs(['help'], {})).toEqual({ kind: 'help' });
    expect(parseCliArgs(['--version'], {})).toEqual({ kind: 'version' });
    expect(parseCliArgs(['wait', '--timeout', 'bogus', '--help'], {})).toEqual({ kind: 'help' });
  });

  it.each([
    [[], /Missing command/],
    [['i-abc'], /Unknown command "i-abc".*Did you mean `wait i-abc`\?/],
    [['deploy'], /Unknown command "deploy"/],
    [['wait'], /No instance IDs: give them as arguments, with --ids-file FILE, or on stdin with `-`/],
    [['wait', '--timout', '5m', 'i-a'], /Unknown option "--timout". Did you mean --timeout\?/],
    [['wait', '--timeout'], /--timeout needs a value \(DURATION\)/],
    [['wait', '--json=yes', 'i-a'], /--json takes no value/],
    [['wait', '--timeout', '5x', 'i-a'], /^--timeout: "5x" is not a duration/],
    [['wait', '--min-delay', '0', 'i-a'], /--min-delay: the delay must be at least 1ms/],
    [
      ['wait', '--min-delay', '10s', '--max-delay', '5s', 'i-a'],
      /--max-delay \(5s\) must not be shorter than --min-delay \(10s\)/,
    ],
    [['wait', '--max-heartbeat-age', '500ms', 'i-a'], /at least 1s/],
    [['wait', '--concurrency', '0', 'i-a'], /--concurrency: "0" is not a whole number from 1 to 100\./],
    [['wait', '--concurrency', '101', 'i-a'], /--concurrency: "101" is not a whole number from 1 to 100\./],
    [['wait', '--concurrency', '1000', 'i-a'], /not a whole number from 1 to 100\./],
    [['wait', '--concurrency', '2.5', 'i-a'], /not a whole number/],
    [
      ['wait', '--min-ready', '0.9', 'i-a'],
      /^--min-ready: "0\.9" is ambiguous: write 90% for 90 % of the instances, or a whole number for a count \(1 is one instance\)\.$/,
    ],
    [['wait', '--min-ready', '1.0', 'i-a'], /"1\.0" is ambiguous: write 100% for 100 % of the instances/],
    [
      ['wait', '--min-ready', '2.5', 'i-a'],
      /"2\.5" is ambiguous: write a whole number for a count \(e\.g\. 3\)/,
    ],
    [
      ['wait', '--min-ready', 'most', 'i-a'],
      /"most" is not a count \(e\.g\. 950\) or a percentage \(e\.g\. 95%\)/,
    ],
    [['wait', '--min-ready', '0', 'i-a'], /at least 1/],
    [
      ['wait', '--timeout', '-5s', 'i-a'],
      /^--timeout: "-5s" is negative; give a value of zero or more \(DURATION\)\.$/,
    ],
    [
      ['wait', '--timeout=-5s', 'i-a'],
      /^--timeout: "-5s" is negative; a duration is zero or more, e.g\. 5s\.$/,
    ],
    [['wait', '--concurrency', '-2', 'i-a'], /^--concurrency: "-2" is negative/],
    [['wait', '--min-ready', '120%', 'i-a'], /more than 0% and at most 100%/],
    [
      ['wait', '--min-version', 'latest', 'i-a'],
      /--min-version: "latest" is not a version like 2\.2\.3\.189/,
    ],
    [['wait', '--not-found', 'ignore', 'i-a'], /--not-found: "ignore" must be `wait` or `fail`/],
    [['wait', '--region', 'cn hangzhou', 'i-a'], /--region: "cn hangzhou" is not a region ID/],
    [['wait', '--endpoint', 'http://x/?Action=DeleteInstance', 'i-a'], /is not an endpoint/],
  ] as const)('refuses %j with a message naming the problem', (argv, message) => {
    expect(fails([...argv])).toMatch(message);
  });

  it.each([
    [{ CLOUD_ASSISTANT_GATE_TIMEOUT: 'soon' }, /^CLOUD_ASSISTANT_GATE_TIMEOUT: "soon" is not a duration/],
    [{ CLOUD_ASSISTANT_GATE_CONCURRENCY: 'lots' }, /^CLOUD_ASSISTANT_GATE_CONCURRENCY: "lots"/],
    [
      { CLOUD_ASSISTANT_GATE_REQUIRE_SESSION_MANAGER: 'maybe' },
      /REQUIRE_SESSION_MANAGER: "maybe" is not a boolean/,
    ],
    [{ CLOUD_ASSISTANT_GATE_NOT_FOUND: 'skip' }, /^CLOUD_ASSISTANT_GATE_NOT_FOUND: "skip"/],
  ])('names the environment variable at fault (%j)', (env, message) => {
    expect(fails(['wait', 'i-a'], env)).toMatch(message);
  });

  it('does not consult an env var whose flag is given', () => {
    expect(
      run(['wait', '--timeout', '1m', 'i-a'], { CLOUD_ASSISTANT_GATE_TIMEOUT: 'garbage' }).timeoutMs,
    ).toBe(60_000);
  });
});

describe('parseCliArgs: regions, stopped instances, remediation', () => {
  it('reads several regions from --region a,b (spaces and repeats tolerated), in order', () => {
    expect(run(['wait', '--region', 'cn-hangzhou, cn-beijing,cn-hangzhou', 'i-a']).regions).toEqual({
      values: ['cn-hangzhou', 'cn-beijing'],
      from: '--region',
    });
    expect(run(['status'], { CLOUD_ASSISTANT_GATE_REGION: 'cn-shanghai,ap-southeast-1' }).regions).toEqual({
      values: ['cn-shanghai', 'ap-southeast-1'],
      from: 'CLOUD_ASSISTANT_GATE_REGION',
    });
  });

  it('refuses an empty or malformed region in the list, naming it', () => {
    expect(fails(['wait', '--region', 'cn-hangzhou,,cn-beijing', 'i-a'])).toMatch(
      /--region: "" is not a region ID/,
    );
    expect(fails(['wait', '--region', 'cn-hangzhou;rm', 'i-a'])).toMatch(
      /"cn-hangzhou;rm" is not a region ID/,
    );
  });

  it('keeps region:id arguments for the ID reader', () => {
    expect(run(['wait', '--region', 'cn-hangzhou', 'cn-beijing:i-2zeabc', 'i-bp1x']).idArgs).toEqual([
      'cn-beijing:i-2zeabc',
      'i-bp1x',
    ]);
  });

  it('reads --stopped and refuses other values', () => {
    expect(run(['wait', '--stopped', 'fail', 'i-a']).stopped).toBe('fail');
    expect(fails(['wait', '--stopped', 'skip', 'i-a'])).toMatch(/--stopped: "skip" must be `wait` or `fail`/);
  });

  it('turns remediation on only with --install-missing, and reboots only with --allow-reboot', () => {
    expect(run(['wait', 'i-a']).remediate).toBeUndefined();
    expect(run(['wait', '--install-missing', 'i-a']).remediate).toEqual({ reboot: false });
    expect(
      run(['wait', '--install-missing', '--allow-reboot', '--remediate-after', '5m', 'i-a']),
    ).toMatchObject({
      remediate: { reboot: true, afterMs: 300_000 },
      dryRun: false,
    });
    expect(run(['wait', '--install-missing', '--dry-run', 'i-a']).dryRun).toBe(true);
  });

  it.each([
    [['wait', '--allow-reboot', 'i-a'], /--allow-reboot only applies with --install-missing/],
    [['wait', '--dry-run', 'i-a'], /--dry-run only applies with --install-missing/],
    [['wait', '--remediate-after', '2m', 'i-a'], /--remediate-after only applies with --install-missing/],
    [['status', '--install-missing', 'i-a'], /--install-missing applies to `wait`/],
    [['wait', '--install-missing', '--remediate-after', 'soon', 'i-a'], /--remediate-after/],
  ])('refuses %j', (argv, message) => {
    expect(fails(argv)).toMatch(message);
  });

  it('has no environment variable that can turn on remediation or a reboot', () => {
    for (const name of ['install-missing', 'allow-reboot', 'dry-run']) {
      expect(OPTIONS.find((o) => o.name === name)?.env, name).toBeUndefined();
    }
  });
});

describe('parseMinReady', () => {
  it.each([
    ['95%', { percent: 95 }],
    ['100%', { percent: 100 }],
    ['12.5%', { percent: 12.5 }],
    ['1', { count: 1 }],
    ['950', { count: 950 }],
  ])('reads %j', (text, value) => {
    expect(parseMinReady(text, '--min-ready')).toEqual(value);
  });
});
