/**
 * `runCli` with everything injected: how the CLI turns what the engine and the ID sources do
 * into exit codes and reports, without a network.
 */
import { PassThrough } from 'node:stream';
import { OptionRangeError, OptionTypeError } from '@cloud-assistant-gate/core';
import { describe, expect, it } from 'vitest';
import { CliUsageError, ExitCode } from '../src/cli/errors.js';
import { type RunCliOptions, runCli } from '../src/cli/main.js';
import { engineOptionError } from '../src/cli/wait-options.js';
import { MAX_CONCURRENCY, resolveOptions, resolveRequired } from '../src/options.js';

interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const cli = async (argv: readonly string[], extra: Partial<RunCliOptions> = {}): Promise<Captured> => {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv,
    env: { ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true', HOME: '/nonexistent' },
    stdout: {
      write: (t: string) => {
        stdout += t;
      },
    },
    stderr: {
      write: (t: string) => {
        stderr += t;
      },
    },
    ...extra,
  });
  return { code, stdout, stderr };
};

describe('--concurrency and the engine agree on the limit', () => {
  it('the engine accepts MAX_CONCURRENCY and refuses one more', () => {
    const client = async () => [];
    expect(resolveOptions({ client, concurrency: MAX_CONCURRENCY }, 1).concurrency).toBe(MAX_CONCURRENCY);
    expect(() => resolveOptions({ client, concurrency: MAX_CONCURRENCY + 1 }, 1)).toThrow(RangeError);
  });

  it.each(['101', '500', '1000'])(
    '--concurrency %s is a usage error (exit 2), not an API failure',
    async (n) => {
      const r = await cli(['wait', '--region', 'cn-hangzhou', '--concurrency', n, '--json', 'i-abc']);
      expect(r.code).toBe(ExitCode.usage);
      expect(r.stderr).toContain(`--concurrency: "${n}" is not a whole number from 1 to ${MAX_CONCURRENCY}.`);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, exitCode: 2, error: { code: 'CLI_USAGE' } });
    },
  );
});

describe('engineOptionError', () => {
  it('turns the engine’s option errors into usage errors naming the flag', () => {
    const client = async () => [];
    const thrown = (options: object): unknown => {
      try {
        resolveOptions({ client, ...options }, 2);
      } catch (error) {
        return engineOptionError(error);
      }
      throw new Error('expected the options to be refused');
    };
    const mapped = thrown({ concurrency: 500 });
    expect(mapped).toBeInstanceOf(CliUsageError);
    expect((mapped as Error).message).toBe(
      'Invalid option: Expected --concurrency to be between 1 and 100, got 500.',
    );
    const typed = thrown({ readiness: { minAgentVersion: 'x' } });
    expect(typed).toBeInstanceOf(CliUsageError);
    expect((typed as Error).message).toBe(
      'Invalid option: Expected --min-version to be a dotted numeric version like "2.2.3", got "x".',
    );
    // A check across two options names both in flags.
    expect((thrown({ minDelayMs: 9, maxDelayMs: 5 }) as Error).message).toBe(
      'Invalid option: --max-delay (5) is less than --min-delay (9); raise --max-delay.',
    );
    expect((thrown({ minReady: 0.9 }) as Error).message).toMatch(
      /^Invalid option: --min-ready 0\.9 is ambiguous/,
    );
    // An option no flag sets keeps its name.
    expect((thrown({ pollCostMs: -1 }) as Error).message).toBe(
      'Invalid option: Expected pollCostMs to be between 0 and 2147483647 ms, got -1.',
    );
  });

  it('keeps the message of a plain TypeError or RangeError (no option names rewritten in text)', () => {
    const plain = engineOptionError(new RangeError('maxDelayMs is odd'));
    expect(plain).toBeInstanceOf(CliUsageError);
    expect((plain as Error).message).toBe('Invalid option: maxDelayMs is odd');
  });

  it('asks core’s option errors for their message in flags, from their `option`, not their text', () => {
    const range = engineOptionError(
      new OptionRangeError(
        'readiness.maxHeartbeatAgeMs',
        (name) => `Expected ${name('readiness.maxHeartbeatAgeMs')} to be at least 1000, got 5.`,
      ),
    );
    expect(range).toBeInstanceOf(CliUsageError);
    expect((range as Error).message).toBe(
      'Invalid option: Expected --max-heartbeat-age to be at least 1000, got 5.',
    );
    // An option no flag sets keeps its name; a clause offering it is left out by the message.
    const unset = engineOptionError(
      new OptionTypeError(
        'pollCostMs',
        (name, settable) =>
          `Expected ${name('pollCostMs')} to be a number${settable('pollCostMs') === undefined ? '' : ' (or raise it)'}.`,
      ),
    );
    expect((unset as Error).message).toBe('Invalid option: Expected pollCostMs to be a number.');
  });

  it('leaves every other error alone', () => {
    const other = new Error('boom');
    expect(engineOptionError(other)).toBe(other);
    const usage = new CliUsageError('already');
    expect(engineOptionError(usage)).toBe(usage);
  });
});

describe('Ctrl-C while IDs are being read', () => {
  it('a stdin that never ends: the abort ends the run with 130 and the --json aborted report', async () => {
    const stdin = new PassThrough();
    stdin.write('i-abc\n');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('Interrupted by SIGINT.')), 30);
    const r = await cli(['wait', '--region', 'cn-hangzhou', '--json', '-'], {
      stdin,
      signal: controller.signal,
    });
    expect(r.code).toBe(ExitCode.aborted);
    expect(stdin.destroyed).toBe(true);
    expect(JSON.parse(r.stdout)).toMatchObject({
      command: 'wait',
      ok: false,
      exitCode: 130,
      outcome: 'aborted',
      error: { code: 'ABORTED' },
    });
    expect(r.stderr).toContain('Aborted');
  });

  it('an --ids-file that never ends (status): 130 as well', async () => {
    const stream = new PassThrough();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('Interrupted by SIGTERM.')), 30);
    const r = await cli(['status', '--region', 'cn-hangzhou', '--ids-file', '/tmp/fifo'], {
      openFile: () => stream,
      signal: controller.signal,
    });
    expect(r.code).toBe(ExitCode.aborted);
    expect(stream.destroyed).toBe(true);
  });
});

describe('the announced "(need N)" is the engine’s required count', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => `i-n${i.toString().padStart(3, '0')}`);

  it.each([
    ['7%', 7],
    ['70%', 70],
    ['29%', 29],
    ['57%', 57],
    ['0.5%', 1],
    ['33.5%', 34],
  ])('--min-ready %s of 100 instances needs %i, as the engine computes it', async (share, need) => {
    expect(resolveRequired(share, 100)).toBe(need);
    // Abort as soon as the plan is announced: nothing is sent (the endpoint is never reached).
    const controller = new AbortController();
    let stdout = '';
    const code = await runCli({
      argv: [
        'wait',
        '--region',
        'cn-hangzhou',
        '--endpoint',
        'http://127.0.0.1:9',
        '--min-ready',
        share,
        '--json',
        ...hundred,
      ],
      env: {
        ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
        HOME: '/nonexistent',
        ALIBABA_CLOUD_ACCESS_KEY_ID: 'id',
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret',
      },
      stdout: {
        write: (t: string) => {
          stdout += t;
        },
      },
      stderr: {
        write: (t: string) => {
          if (t.startsWith('Waiting for Cloud Assistant')) {
            expect(t).toContain(`on 100 instances in cn-hangzhou (need ${need}),`);
            controller.abort(new Error('seen'));
          }
        },
      },
      signal: controller.signal,
    });
    expect(controller.signal.aborted).toBe(true);
    expect(code).toBe(ExitCode.aborted);
    expect(JSON.parse(stdout)).toMatchObject({ outcome: 'aborted', total: 100, required: need });
  });
});

describe('a combination of flags the wait cannot run with', () => {
  // Found by hand after the design pass: the check had moved after `connect`, so a user without
  // credentials was told about credentials (exit 3) instead of the flags they typed (exit 2).
  it.each([
    [['--timeout', '1s', '--min-delay', '5s'], /--timeout \(1s\) is shorter than --min-delay \(5s\)/],
    [['--min-ready', '5'], /--min-ready 5 is more than the 1 distinct instance IDs given/],
  ])('%j is a usage error, said before any credentials are looked for', async (flags, message) => {
    const r = await cli(['wait', '--region', 'cn-hangzhou', ...flags, 'i-bp1234567890abcdefgh']);
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/credentials/i);
  });
});
