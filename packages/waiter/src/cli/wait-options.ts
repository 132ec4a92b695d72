import { isOptionError } from '@cloud-assistant-gate/core/options';
import type { WaiterError } from '../errors.js';
import { defaults, type Percentage, resolveRequired, type WaitForCloudAssistantOptions } from '../options.js';
import { type InstanceTarget, parseInstanceTargets } from '../targets.js';
import type { CliSettings } from './args.js';
import { formatFlagDuration } from './duration.js';
import { CliUsageError } from './errors.js';

/** The engine's options that come from flags (the clients, signal and progress are the caller's). */
export type FlagOptions = Omit<WaitForCloudAssistantOptions, 'clients' | 'signal' | 'onProgress'>;

/** A wait as the engine will run it: what to wait for, how many must be ready, and the options. */
export interface WaitPlan {
  /** `i-x` and `cn-beijing:i-x` are one instance: the distinct targets the engine waits for. */
  readonly targets: readonly InstanceTarget[];
  readonly ids: readonly string[];
  readonly timeoutMs: number;
  /** The engine's own count (same rounding), so "(need N)" matches the wait's `required`. */
  readonly required: number;
  readonly options: FlagOptions;
}

/**
 * Turns the flags of `wait` into the engine's options, refusing what the engine would refuse
 * in CLI terms first (a `--min-ready` count above the number of IDs, a `--timeout` shorter than
 * `--min-delay`). Flags left out leave the engine's default, so the two cannot disagree.
 *
 * @throws CliUsageError (exit 2) for a combination of flags the wait cannot run with
 * @throws InvalidInstanceIdError (exit 2) for an ID given in two regions
 */
export const planWait = (settings: CliSettings, entries: readonly string[]): WaitPlan => {
  const s = settings;
  const targets = parseInstanceTargets(entries);
  const ids = targets.map((t) => t.instanceId);
  const minReady = toMinReady(s, ids.length);
  const timeoutMs = s.timeoutMs ?? defaults.timeoutMs;
  const minDelayMs = s.minDelayMs ?? Math.min(defaults.minDelayMs, s.maxDelayMs ?? Number.POSITIVE_INFINITY);
  if (timeoutMs < minDelayMs) {
    throw new CliUsageError(
      `--timeout (${formatFlagDuration(timeoutMs)}) is shorter than --min-delay (${formatFlagDuration(minDelayMs)}), leaving no room for a second poll.`,
    );
  }
  let required: number;
  try {
    required = resolveRequired(minReady, ids.length);
  } catch (error) {
    throw engineOptionError(error);
  }
  return {
    targets,
    ids,
    timeoutMs,
    required,
    options: {
      timeoutMs,
      ...(s.firstAnswerTimeoutMs === undefined ? {} : { firstAnswerTimeoutMs: s.firstAnswerTimeoutMs }),
      minDelayMs,
      ...(s.maxDelayMs === undefined ? {} : { maxDelayMs: s.maxDelayMs }),
      ...(s.concurrency === undefined ? {} : { concurrency: s.concurrency }),
      ...(minReady === undefined ? {} : { minReady }),
      readiness: {
        ...(s.requireSessionManager ? { requireSessionManager: true } : {}),
        ...(s.minVersion === undefined ? {} : { minAgentVersion: s.minVersion }),
        ...(s.maxHeartbeatAgeMs === undefined ? {} : { maxHeartbeatAgeMs: s.maxHeartbeatAgeMs }),
      },
      ...(s.notFound === undefined ? {} : { notFound: s.notFound }),
      ...(s.stopped === undefined ? {} : { stoppedInstances: s.stopped }),
      ...(s.remediate === undefined
        ? {}
        : {
            remediate: {
              install: true,
              reboot: s.remediate.reboot,
              ...(s.remediate.afterMs === undefined ? {} : { afterMs: s.remediate.afterMs }),
            },
          }),
    },
  };
};

/** `--min-ready` in the engine's terms: a count (at most the IDs given), a percentage, or all. */
const toMinReady = (settings: CliSettings, total: number): number | Percentage | 'all' | undefined => {
  const m = settings.minReady;
  if (m === undefined) return undefined;
  if ('percent' in m) return m.percent >= 100 ? 'all' : `${m.percent}%`;
  if (m.count > total) {
    throw new CliUsageError(`--min-ready ${m.count} is more than the ${total} distinct instance IDs given.`);
  }
  return m.count;
};

/** The engine's options that a flag sets, as dotted paths (an option error's `option`). */
const FLAG_OF_OPTION: Readonly<Record<string, string>> = {
  concurrency: '--concurrency',
  timeoutMs: '--timeout',
  firstAnswerTimeoutMs: '--first-answer-timeout',
  minDelayMs: '--min-delay',
  maxDelayMs: '--max-delay',
  minReady: '--min-ready',
  notFound: '--not-found',
  stoppedInstances: '--stopped',
  'remediate.afterMs': '--remediate-after',
  'readiness.minAgentVersion': '--min-version',
  'readiness.maxHeartbeatAgeMs': '--max-heartbeat-age',
};

/** The flag that sets an engine option, or undefined for an option no flag sets. */
export const flagOf = (option: string): string | undefined => FLAG_OF_OPTION[option];

/**
 * An option error from the engine, as a usage error (exit 2) in CLI terms; anything else
 * unchanged. Core's option errors say which option (`option`), so their message is asked for with
 * the flags (`messageWith`). The CLI checks its flags against the engine's limits, so this only
 * matters if the two drift apart, and then the user still gets exit 2, not 4; a plain `TypeError`
 * or `RangeError` (an engine check that is not an option's) keeps its message.
 */
export const engineOptionError = (error: unknown): unknown => {
  if (isOptionError(error)) {
    return new CliUsageError(`Invalid option: ${error.messageWith(flagOf)}`, { cause: error });
  }
  if (!(error instanceof TypeError || error instanceof RangeError)) return error;
  return new CliUsageError(`Invalid option: ${error.message}`, { cause: error });
};

/**
 * A waiter error's message in CLI terms: the options it names (`raise timeoutMs`) said as the
 * flags that set them (`raise --timeout`), from the error itself (`messageWith`), not its text.
 */
export const inFlagTerms = (error: WaiterError): string =>
  typeof error.messageWith === 'function' ? error.messageWith(flagOf) : error.message;
