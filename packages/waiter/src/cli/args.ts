import { parseArgs } from 'node:util';
import { closestMatch } from '@cloud-assistant-gate/core/options';
import { MAX_CONCURRENCY } from '../options.js';
import { parseDuration } from './duration.js';
import { CliUsageError, quote } from './errors.js';
import { OPTIONS, type OptionSpec } from './options.js';

export type Command = 'wait' | 'status';
export const COMMANDS: readonly Command[] = ['wait', 'status'];

/** `--min-ready`: a count of instances, or a share of them in percent (0 < percent ≤ 100). */
export type MinReady = { readonly count: number } | { readonly percent: number };

/** Everything `wait` and `status` need, after flags, environment and defaults are merged. */
export interface CliSettings {
  readonly command: Command;
  /**
   * `--region a,b` (else `ALIBABA_CLOUD_REGION_ID`): the regions, in the order bare IDs are looked
   * for, and the flag or variable they came from (absent: the Aliyun CLI profile's, if any).
   */
  readonly regions?: { readonly values: readonly string[]; readonly from: string };
  readonly endpoint?: string;
  /** An explicit profile (`--profile` or its variable): honoured, or refused, never outranked silently. */
  readonly profile?: { readonly name: string; readonly from: string };
  /** Absent: the engine's default. */
  readonly timeoutMs?: number;
  readonly firstAnswerTimeoutMs?: number;
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly concurrency?: number;
  readonly minReady?: MinReady;
  readonly requireSessionManager: boolean;
  readonly minVersion?: string;
  readonly maxHeartbeatAgeMs?: number;
  readonly notFound?: 'wait' | 'fail';
  readonly stopped?: 'wait' | 'fail';
  /** `--install-missing`, with `--allow-reboot` (reboot) and `--remediate-after`. */
  readonly remediate?: { readonly reboot: boolean; readonly afterMs?: number };
  /** `--dry-run`: print what remediation would do, and exit. */
  readonly dryRun: boolean;
  /** Positional IDs (`-` means stdin). */
  readonly idArgs: readonly string[];
  readonly idsFiles: readonly string[];
  readonly json: boolean;
  readonly quiet: boolean;
  readonly progress: boolean;
}

export type ParsedArgs =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly settings: CliSettings };

type Env = Readonly<Record<string, string | undefined>>;

const parseOptions = Object.fromEntries(
  OPTIONS.map((o) => [
    o.name,
    {
      type: o.type,
      ...(o.short === undefined ? {} : { short: o.short }),
      ...(o.multiple ? { multiple: true } : {}),
    },
  ]),
) as Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

const spec = (name: string): OptionSpec => {
  const found = OPTIONS.find((o) => o.name === name);
  if (found === undefined) throw new Error(`no option ${name}`);
  return found;
};

/**
 * Parses the command line and the environment. Flags beat environment variables; an empty
 * environment variable counts as unset. Pure: no process, no I/O.
 *
 * @param argv the arguments after the program name
 * @throws CliUsageError for anything the user must fix, naming the flag or variable
 */
export const parseCliArgs = (argv: readonly string[], env: Env): ParsedArgs => {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: parseOptions, allowPositionals: true, strict: true });
  } catch (error) {
    throw toUsageError(error, argv);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values['help'] === true) return { kind: 'help' };
  if (values['version'] === true) return { kind: 'version' };

  const [command, ...idArgs] = parsed.positionals;
  if (command === undefined) throw new CliUsageError('Missing command: use `wait` or `status` (see --help).');
  if (command === 'help') return { kind: 'help' };
  if (!COMMANDS.includes(command as Command)) {
    const hint = /^m?i-/.test(command) ? ` Did you mean \`wait ${command}\`?` : '';
    throw new CliUsageError(`Unknown command ${quote(command)}: use \`wait\` or \`status\`.${hint}`);
  }

  /** The flag's value if given, else its environment variable's, with where it came from. */
  const pick = (name: string): { value: string; from: string } | undefined => {
    const flag = values[name];
    if (typeof flag === 'string') return { value: flag, from: `--${name}` };
    const variable = spec(name).env;
    const fromEnv = variable === undefined ? undefined : env[variable];
    if (variable !== undefined && fromEnv !== undefined && fromEnv !== '')
      return { value: fromEnv, from: variable };
    return undefined;
  };
  const duration = (name: string): number | undefined => {
    const got = pick(name);
    return got === undefined ? undefined : parseDuration(got.value, got.from);
  };

  const regionEnv = nonEmpty(env['ALIBABA_CLOUD_REGION_ID']);
  const regionText =
    pick('region') ??
    (regionEnv === undefined ? undefined : { value: regionEnv, from: 'ALIBABA_CLOUD_REGION_ID' });
  let regions: { values: string[]; from: string } | undefined;
  if (regionText !== undefined) {
    const { from } = regionText;
    regions = { values: [], from };
    for (const part of regionText.value.split(',')) {
      const region = part.trim();
      if (!/^[a-z0-9-]{1,64}$/.test(region)) {
        throw new CliUsageError(
          `${from}: ${quote(part)} is not a region ID, e.g. cn-hangzhou (several: cn-hangzhou,cn-beijing).`,
        );
      }
      if (!regions.values.includes(region)) regions.values.push(region);
    }
  }
  const endpoint = pick('endpoint');
  if (endpoint !== undefined && !/^(?:https?:\/\/)?[A-Za-z0-9.[\]:-]+(?::\d+)?\/?$/.test(endpoint.value)) {
    throw new CliUsageError(
      `${endpoint.from}: ${quote(endpoint.value)} is not an endpoint; give a host (ecs.cn-hangzhou.aliyuncs.com) or a URL (http://127.0.0.1:8080).`,
    );
  }
  const profile = pick('profile');

  const timeoutMs = duration('timeout');
  const firstAnswerTimeoutMs = duration('first-answer-timeout');
  if (firstAnswerTimeoutMs !== undefined && firstAnswerTimeoutMs < 1) {
    throw new CliUsageError(`${pick('first-answer-timeout')?.from}: must be at least 1ms.`);
  }
  const minDelayMs = duration('min-delay');
  const maxDelayMs = duration('max-delay');
  if (minDelayMs !== undefined && minDelayMs < 1) {
    throw new CliUsageError(`${pick('min-delay')?.from}: the delay must be at least 1ms.`);
  }
  if (minDelayMs !== undefined && maxDelayMs !== undefined && maxDelayMs < minDelayMs) {
    throw new CliUsageError(
      `${pick('max-delay')?.from} (${pick('max-delay')?.value}) must not be shorter than ${pick('min-delay')?.from} (${pick('min-delay')?.value}).`,
    );
  }
  const maxHeartbeatAgeMs = duration('max-heartbeat-age');
  if (maxHeartbeatAgeMs !== undefined && maxHeartbeatAgeMs < 1000) {
    throw new CliUsageError(
      `${pick('max-heartbeat-age')?.from}: must be at least 1s (heartbeats come about once a minute).`,
    );
  }

  const concurrencyText = pick('concurrency');
  let concurrency: number | undefined;
  if (concurrencyText !== undefined) {
    concurrency = Number(concurrencyText.value.trim());
    if (!/^\d+$/.test(concurrencyText.value.trim()) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new CliUsageError(
        `${concurrencyText.from}: ${quote(concurrencyText.value)} is not a whole number from 1 to ${MAX_CONCURRENCY}.`,
      );
    }
  }

  const minReadyText = pick('min-ready');
  const minReady =
    minReadyText === undefined ? undefined : parseMinReady(minReadyText.value, minReadyText.from);

  const minVersionText = pick('min-version');
  if (minVersionText !== undefined && !/^\d{1,9}(?:\.\d{1,9}){0,3}$/.test(minVersionText.value.trim())) {
    throw new CliUsageError(
      `${minVersionText.from}: ${quote(minVersionText.value)} is not a version like 2.2.3.189.`,
    );
  }

  const notFoundText = pick('not-found');
  let notFound: 'wait' | 'fail' | undefined;
  if (notFoundText !== undefined) {
    const v = notFoundText.value.trim();
    if (v !== 'wait' && v !== 'fail') {
      throw new CliUsageError(
        `${notFoundText.from}: ${quote(notFoundText.value)} must be \`wait\` or \`fail\`.`,
      );
    }
    notFound = v;
  }

  const stoppedText = pick('stopped');
  let stopped: 'wait' | 'fail' | undefined;
  if (stoppedText !== undefined) {
    const v = stoppedText.value.trim();
    if (v !== 'wait' && v !== 'fail') {
      throw new CliUsageError(
        `${stoppedText.from}: ${quote(stoppedText.value)} must be \`wait\` or \`fail\`.`,
      );
    }
    stopped = v;
  }

  // Remediation changes instances: only explicit flags turn it on (no environment variable), and
  // a reboot needs its own flag.
  const installMissing = values['install-missing'] === true;
  const allowReboot = values['allow-reboot'] === true;
  const dryRun = values['dry-run'] === true;
  const remediateAfterMs = duration('remediate-after');
  if (!installMissing) {
    const stray = allowReboot
      ? '--allow-reboot'
      : dryRun
        ? '--dry-run'
        : typeof values['remediate-after'] === 'string'
          ? '--remediate-after'
          : undefined;
    if (stray !== undefined) {
      throw new CliUsageError(`${stray} only applies with --install-missing.`);
    }
  }
  if (command === 'status' && installMissing) {
    throw new CliUsageError(
      '--install-missing applies to `wait` (use `wait --install-missing --dry-run` to preview).',
    );
  }

  const requireSessionManager =
    values['require-session-manager'] === true ||
    envBoolean(env, spec('require-session-manager').env ?? '', false);

  const idsFiles = (values['ids-file'] as string[] | undefined) ?? [];
  if (command === 'wait' && idArgs.length === 0 && idsFiles.length === 0) {
    throw new CliUsageError(
      'No instance IDs: give them as arguments, with --ids-file FILE, or on stdin with `-`.',
    );
  }

  const settings: CliSettings = {
    command: command as Command,
    ...(regions === undefined ? {} : { regions }),
    ...(endpoint === undefined ? {} : { endpoint: endpoint.value.trim() }),
    ...(profile === undefined ? {} : { profile: { name: profile.value.trim(), from: profile.from } }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(firstAnswerTimeoutMs === undefined ? {} : { firstAnswerTimeoutMs }),
    ...(minDelayMs === undefined ? {} : { minDelayMs }),
    ...(maxDelayMs === undefined ? {} : { maxDelayMs }),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(minReady === undefined ? {} : { minReady }),
    requireSessionManager,
    ...(minVersionText === undefined ? {} : { minVersion: minVersionText.value.trim() }),
    ...(maxHeartbeatAgeMs === undefined ? {} : { maxHeartbeatAgeMs }),
    ...(notFound === undefined ? {} : { notFound }),
    ...(stopped === undefined ? {} : { stopped }),
    ...(installMissing
      ? {
          remediate: {
            reboot: allowReboot,
            ...(remediateAfterMs === undefined ? {} : { afterMs: remediateAfterMs }),
          },
        }
      : {}),
    dryRun,
    idArgs,
    idsFiles,
    json: values['json'] === true,
    quiet: values['quiet'] === true,
    progress: values['no-progress'] !== true,
  };
  return { kind: 'run', settings };
};

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

/**
 * `95%` is a share, `950` a count. A decimal (`0.9`, `1.0`) is refused with both readings, as the
 * library refuses it: `1.0` would be one instance to one reader and 100 % to another.
 */
export const parseMinReady = (text: string, from: string): MinReady => {
  const value = text.trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(value);
  if (percent !== null) {
    const p = Number(percent[1]);
    if (p <= 0 || p > 100)
      throw new CliUsageError(`${from}: ${quote(text)} must be more than 0% and at most 100%.`);
    return { percent: p };
  }
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n < 1 || !Number.isSafeInteger(n))
      throw new CliUsageError(`${from}: ${quote(text)} must be at least 1.`);
    return { count: n };
  }
  if (/^(?:\d+\.\d*|\.\d+)$/.test(value)) {
    const n = Number(value);
    const share = Number((n * 100).toFixed(6));
    const readings =
      n <= 1
        ? `write ${share}% for ${share} % of the instances, or a whole number for a count (1 is one instance)`
        : `write a whole number for a count (e.g. ${Math.ceil(n)}), or a percentage such as 95%`;
    throw new CliUsageError(`${from}: ${quote(text)} is ambiguous: ${readings}.`);
  }
  throw new CliUsageError(`${from}: ${quote(text)} is not a count (e.g. 950) or a percentage (e.g. 95%).`);
};

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

const envBoolean = (env: Env, name: string, fallback: boolean): boolean => {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new CliUsageError(`${name}: ${quote(raw)} is not a boolean; use true or false.`);
};

/** Turns node:util's parse errors into one sentence, with a suggestion for a mistyped flag. */
const toUsageError = (error: unknown, argv: readonly string[]): CliUsageError => {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(message)?.[1] ?? argv.find((a) => a.startsWith('-')) ?? '';
    const name = flag.replace(/^-+/, '').split('=')[0] ?? '';
    const near = suggest(name);
    return new CliUsageError(
      `Unknown option ${quote(flag)}.${near === undefined ? '' : ` Did you mean --${near}?`} See --help.`,
      { cause: error },
    );
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    // node:util words these as "Option '--timeout <value>' argument missing" and similar.
    const flag = /'(-[^' ]+)/.exec(message)?.[1];
    const opt =
      flag === undefined ? undefined : OPTIONS.find((o) => `--${o.name}` === flag || `-${o.short}` === flag);
    if (opt?.type === 'boolean') return new CliUsageError(`${flag} takes no value.`, { cause: error });
    // node:util reads `--timeout -5s` as a flag with no value followed by an option `-5s`.
    const at = flag === undefined ? -1 : argv.indexOf(flag);
    const next = at === -1 ? undefined : argv[at + 1];
    if (next !== undefined && /^-\.?\d/.test(next)) {
      return new CliUsageError(
        `${flag}: ${quote(next)} is negative; give a value of zero or more${opt?.value ? ` (${opt.value})` : ''}.`,
        { cause: error },
      );
    }
    return new CliUsageError(`${flag ?? 'An option'} needs a value${opt?.value ? ` (${opt.value})` : ''}.`, {
      cause: error,
    });
  }
  return new CliUsageError(`${message.split('\n')[0]} See --help.`, { cause: error });
};

/** The flag closest to a mistyped one (core's one "did you mean" rule, at most 2 edits). */
const suggest = (name: string): string | undefined =>
  closestMatch(
    name,
    OPTIONS.map((o) => o.name),
    2,
  );
