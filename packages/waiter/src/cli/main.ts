import { readFileSync } from 'node:fs';
import type {
  AttemptEvent,
  EcsClient,
  EcsClientOptions,
  InstanceStatus,
  StatusSource,
} from '@cloud-assistant-gate/core';
import { jsonLine, printable, printableOrUndefined } from '@cloud-assistant-gate/core';
import { lastValueFrom, type Observable } from 'rxjs';
import type { PendingInstance, WaitCounters } from '../errors.js';
import {
  isCloudAssistantTimeoutError,
  isQuorumUnreachableError,
  isRemediationError,
  isSourceUnreachableError,
  isStatusSourceError,
  isWaiterError,
  type WaitOutcomeError,
} from '../errors.js';
import { defaults, type Percentage, resolveRequired } from '../options.js';
import type { ReadinessProgress, ReadinessReport } from '../report.js';
import { parseInstanceTargets } from '../targets.js';
import { watchCloudAssistant } from '../wait.js';
import { type CliSettings, COMMANDS, parseCliArgs } from './args.js';
import { connect } from './connect.js';
import { CliTimeoutError, CliUsageError, ExitCode, isCliUsageError } from './errors.js';
import { apiCodeOf, exitCodeForError, rootCodeOf } from './exit-code.js';
import { helpText } from './help.js';
import { fixForApiCode } from './hints.js';
import { type ByteSource, collectIds, type OpenFile } from './ids.js';
import { ProgressRenderer } from './progress.js';
import { type RemediationLog, remediationNotice, runDryRun } from './remediation.js';
import {
  colorEnabled,
  describeRemediation,
  makeStyle,
  renderOutcome,
  renderStatusTable,
  type StatusRow,
  type Straggler,
  type TextSink,
  type WaitOutcome,
} from './render.js';

import { readStatuses } from './status.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Everything the CLI touches, injected: `bin.ts` passes the process's, tests their own. */
export interface RunCliOptions {
  /** Arguments after the program name. */
  readonly argv: readonly string[];
  readonly env: Env;
  readonly stdin?: ByteSource | undefined;
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Whether stdout and stderr are terminals (a boolean means both). @default false */
  readonly isTTY?: boolean | { readonly stdout?: boolean; readonly stderr?: boolean } | undefined;
  /**
   * Terminal width for the progress bar: a number, or a function of the stream that is read at
   * every redraw, so a resized terminal is followed. @default 80
   */
  readonly columns?: number | ((stream: 'stdout' | 'stderr') => number | undefined) | undefined;
  /** Calls `listener` when the terminal of `stream` is resized; returns how to stop. */
  readonly onResize?: ((stream: 'stdout' | 'stderr', listener: () => void) => () => void) | undefined;
  /** Aborting it stops the wait cleanly; the run then returns 130. */
  readonly signal?: AbortSignal | undefined;
  /** Wall clock, for heartbeat ages and elapsed time. @default Date.now */
  readonly now?: (() => number) | undefined;
  /** Test seam for `--ids-file`. */
  readonly openFile?: OpenFile | undefined;
  /** Test seam: extra options for the ECS client (e.g. `credentials`, `retry`). */
  readonly clientOptions?: Partial<EcsClientOptions> | undefined;
}

/** Environment variables whose values must never be printed, whatever an error message says. */
const SECRET_VARIABLES = [
  'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  'ALIBABA_CLOUD_SECURITY_TOKEN',
  'ALICLOUD_ACCESS_KEY_SECRET',
  'ALICLOUD_SECURITY_TOKEN',
  'ALIBABA_CLOUD_ACCESS_KEY_Secret',
];

/** A sink that blanks out known secrets: a last line of defence, core already redacts. */
const redacting = (sink: TextSink, secrets: readonly string[]): TextSink => {
  const real = secrets.filter((s) => s.length >= 4);
  if (real.length === 0) return sink;
  return { write: (text: string) => sink.write(real.reduce((t, s) => t.split(s).join('***'), text)) };
};

/**
 * Runs `cloud-assistant-gate` with everything injected and returns the exit code; never calls
 * `process.exit` nor touches `process`. See `--help` for the commands, flags and exit codes.
 *
 * @example
 * const code = await runCli({ argv: ['wait', 'i-abc'], env: process.env, stdout: process.stdout, stderr: process.stderr });
 */
export const runCli = async (options: RunCliOptions): Promise<number> => {
  const secrets = SECRET_VARIABLES.map((v) => options.env[v]).filter((v): v is string => v !== undefined);
  const stdout = redacting(options.stdout, secrets);
  const stderr = redacting(options.stderr, secrets);
  const tty =
    typeof options.isTTY === 'boolean'
      ? { stdout: options.isTTY, stderr: options.isTTY }
      : { stdout: options.isTTY?.stdout === true, stderr: options.isTTY?.stderr === true };
  const wantsJson = options.argv.includes('--json');
  const now = options.now ?? Date.now;

  let parsed: ReturnType<typeof parseCliArgs>;
  try {
    parsed = parseCliArgs(options.argv, options.env);
  } catch (error) {
    // The command is known even when a flag is not: the JSON report should say which one failed.
    const command = options.argv.find((a) => (COMMANDS as readonly string[]).includes(a));
    return fail(error, {
      stdout,
      stderr,
      json: wantsJson,
      command,
      color: colorEnabled(tty.stderr, options.env),
    });
  }
  if (parsed.kind === 'help') {
    stdout.write(helpText());
    return ExitCode.ok;
  }
  if (parsed.kind === 'version') {
    stdout.write(`${version()}\n`);
    return ExitCode.ok;
  }
  const settings = parsed.settings;
  // Human text: stdout normally, stderr with --json (stdout then holds only the report).
  const human = settings.json ? stderr : stdout;
  const humanTTY = settings.json ? tty.stderr : tty.stdout;
  const humanStream = settings.json ? 'stderr' : 'stdout';
  const columnsOption = options.columns;
  const onResize = options.onResize;
  const ctx: Context = {
    settings,
    env: options.env,
    stdout,
    stderr,
    human,
    humanTTY: humanTTY && options.env['TERM'] !== 'dumb',
    color: colorEnabled(humanTTY, options.env),
    columns: typeof columnsOption === 'function' ? () => columnsOption(humanStream) : columnsOption,
    onResize: onResize === undefined ? undefined : (listener) => onResize(humanStream, listener),
    now,
    signal: options.signal,
  };

  let clients: EcsClient[] = [];
  try {
    const ids = await collectIds({
      args: settings.idArgs,
      files: settings.idsFiles,
      stdin: options.stdin,
      openFile: options.openFile,
      signal: options.signal,
    });
    clients = (await connect(settings, ids, options.env, options.clientOptions, options.signal)).clients;
    if (settings.command === 'status') return await runStatus(ctx, clients, ids);
    return settings.dryRun ? await runDryRun(ctx, clients, ids) : await runWait(ctx, clients, ids);
  } catch (error) {
    if (options.signal?.aborted) return aborted(ctx, undefined);
    return fail(error, {
      stdout,
      stderr,
      json: settings.json,
      command: settings.command,
      color: colorEnabled(tty.stderr, options.env),
      clients,
    });
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }
};

export interface Context {
  readonly settings: CliSettings;
  readonly env: Env;
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly human: TextSink;
  readonly humanTTY: boolean;
  readonly color: boolean;
  readonly columns: number | (() => number | undefined) | undefined;
  readonly onResize: ((listener: () => void) => () => void) | undefined;
  readonly now: () => number;
  readonly signal: AbortSignal | undefined;
}

/** Set by the single-file bundle (`bundle/cloud-assistant-gate.mjs`), which has no package.json beside it. */
declare const CLOUD_ASSISTANT_GATE_VERSION: string | undefined;

const version = (): string => {
  if (typeof CLOUD_ASSISTANT_GATE_VERSION === 'string') return CLOUD_ASSISTANT_GATE_VERSION;
  // src/cli/main.ts and dist/cli/main.js are both two levels below the package root.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
};

const toMinReady = (settings: CliSettings, total: number): number | Percentage | 'all' | undefined => {
  const m = settings.minReady;
  if (m === undefined) return undefined;
  if ('percent' in m) return m.percent >= 100 ? 'all' : `${m.percent}%`;
  if (m.count > total) {
    throw new CliUsageError(`--min-ready ${m.count} is more than the ${total} distinct instance IDs given.`);
  }
  return m.count;
};

/** The engine's own count (same rounding), so "(need N)" matches the wait's `required`. */
const requiredCount = (minReady: number | Percentage | 'all' | undefined, total: number): number => {
  try {
    return resolveRequired(minReady, total);
  } catch (error) {
    throw engineOptionError(error);
  }
};

const runWait = async (
  ctx: Context,
  clients: readonly EcsClient[],
  entries: readonly string[],
): Promise<number> => {
  const s = ctx.settings;
  // `i-x` and `cn-beijing:i-x` are one instance: count what the engine will wait for.
  const targets = parseInstanceTargets(entries);
  const ids = targets.map((t) => t.instanceId);
  const minReady = toMinReady(s, ids.length);
  const timeoutMs = s.timeoutMs ?? defaults.timeoutMs;
  const minDelayMs = s.minDelayMs ?? Math.min(defaults.minDelayMs, s.maxDelayMs ?? Number.POSITIVE_INFINITY);
  if (timeoutMs < minDelayMs) {
    throw new CliUsageError(
      `--timeout (${timeoutMs}ms) is shorter than --min-delay (${minDelayMs}ms), leaving no room for a second poll.`,
    );
  }
  const required = requiredCount(minReady, ids.length);
  const renderer = new ProgressRenderer({
    out: ctx.human,
    tty: ctx.humanTTY,
    color: ctx.color,
    columns: ctx.columns,
    progress: s.progress && !s.quiet,
    timeoutMs,
    // One region: its endpoint; several: each attempt names its own.
    endpoint: clients.length === 1 ? clients[0]!.endpoint : undefined,
  });
  const started = ctx.now();
  if (!s.quiet && s.progress) {
    renderer.log(
      `Waiting for Cloud Assistant on ${ids.length} instance${ids.length === 1 ? '' : 's'} in ${regionNames(clients)}` +
        `${required < ids.length ? ` (need ${required})` : ''}, timeout ${formatMs(timeoutMs)}…`,
    );
  }
  if (!s.quiet && s.remediate !== undefined) renderer.log(remediationNotice(s.remediate));
  renderer.start(ids.length, required);
  let last: ReadinessProgress | undefined;
  const remediations: RemediationLog = new Map();
  /** Ready so far (from each round's newlyReady), for the report of an aborted wait. */
  const readySoFar = new Set<string>();
  const live = ctx.humanTTY && s.progress && !s.quiet;
  const ticker = live ? setInterval(() => renderer.tick(ctx.now() - started), 1000) : undefined;
  ticker?.unref();
  // A resized terminal is redrawn at once, at its new width.
  const stopResize = live ? ctx.onResize?.(() => renderer.tick(ctx.now() - started)) : undefined;
  // Every HTTP attempt reaches the display, so the last error shows while core is still retrying.
  // Not one abandoned by the wait itself (deadline, fail-fast, cancel): it got no answer and no
  // error, so it says nothing about the API and must not erase the last error the report names.
  const watched = clients.map((client) =>
    watchAttempts(client, (event) => {
      if (event.aborted === true) return;
      renderer.attempt(
        {
          code: event.apiCode ?? event.errorCode,
          causeCode: event.causeCode,
          statusCode: event.statusCode,
          durationMs: event.durationMs,
          endpoint: client.endpoint,
        },
        ctx.now() - started,
      );
    }),
  );
  try {
    // The engine validates its options synchronously, before the first call: whatever it
    // throws then is about what the user typed (flags the CLI let through), so exit 2.
    let watch: Observable<ReadinessProgress>;
    try {
      watch = watchCloudAssistant(targets, {
        clients: Object.fromEntries(watched.map((c) => [c.region, c])),
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
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
        onProgress: (p) => {
          last = p;
          for (const id of p.newlyReady) readySoFar.add(id);
          for (const r of p.remediated) {
            remediations.set(r.instanceId, r);
            if (!s.quiet)
              renderer.log(
                `${printable(r.instanceId)}${r.region === undefined ? '' : ` (${printable(r.region)})`}: ${describeRemediation(r)}`,
              );
          }
          renderer.progress({
            total: p.total,
            ready: p.readyCount,
            notFound: p.notFoundCount,
            target: p.required,
            elapsedMs: p.elapsedMs,
            round: p.round,
            nextDelayMs: p.nextDelayMs,
          });
        },
      });
    } catch (error) {
      throw engineOptionError(error);
    }
    const report = (await lastValueFrom(watch)).report!;
    renderer.close();
    return finishWait(ctx, clients, reportOutcome(report, clients.length > 1), report);
  } catch (error) {
    renderer.close();
    if (ctx.signal?.aborted)
      return aborted(ctx, last, { clients, ids, readySoFar, required, elapsedMs: ctx.now() - started });
    if (isCloudAssistantTimeoutError(error) || isQuorumUnreachableError(error)) {
      const pending: readonly PendingInstance[] = isQuorumUnreachableError(error)
        ? [...error.unreachable, ...error.pending]
        : error.pending;
      const outcome: WaitOutcome = {
        kind: isCloudAssistantTimeoutError(error) ? 'timeout' : 'quorum-unreachable',
        total: error.ready.length + pending.length,
        ready: error.ready.length,
        target: error.required,
        elapsedMs: error.elapsedMs,
        rounds: error.rounds,
        apiCalls: error.apiCalls,
        throttledCalls: error.throttledCalls,
        instanceStatusCalls: error.instanceStatusCalls,
        remediationCalls: error.remediationCalls,
        stragglers: pending.map(toStraggler),
        multiRegion: clients.length > 1,
        remediations: [...remediations.values()],
      };
      return finishWait(ctx, clients, outcome, undefined, error, ids, lastErrorOf(renderer));
    }
    throw error;
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    stopResize?.();
  }
};

/**
 * The client's status source, also telling `onAttempt` about every HTTP attempt (the engine's own
 * `onAttempt` still gets them all). Keeps `endpoint`, so the engine can name it in its errors,
 * `region`, and the lifecycle capabilities (instance status, install, reboot) the engine uses for
 * its reasons and remediation. The source is a new function, so the engine would wrap it in a
 * request budget of its own; core's `rateLimitedSource` passes a source that reports attempts
 * straight through, so the client's budget stays the only one.
 */
const watchAttempts = (client: EcsClient, onAttempt: (event: AttemptEvent) => void) => ({
  region: client.region,
  endpoint: client.endpoint,
  instanceStatus: client.instanceStatus,
  installAgent: client.installAgent,
  reboot: client.reboot,
  statusSource: ((ids, options) =>
    client.statusSource(ids, {
      signal: options.signal,
      onAttempt: (event) => {
        options.onAttempt?.(event);
        onAttempt(event);
      },
    })) satisfies StatusSource,
});

/** The renderer's last error and where it came from, for the summary of a failed wait. */
const lastErrorOf = (renderer: ProgressRenderer): LastError | undefined =>
  renderer.lastError === undefined ? undefined : { text: renderer.lastError, from: renderer.lastErrorFrom };

/** The last API error a wait saw (see {@link ProgressRenderer.lastError}). */
interface LastError {
  readonly text: string;
  readonly from: string | undefined;
}

/**
 * A row of the straggler table. Its text came from the API (versions, OS names inside reasons,
 * heartbeat times) or from a status source: printable only, never raw.
 */
const toStraggler = (p: {
  readonly instanceId: string;
  readonly reason?: string | undefined;
  readonly region?: string | undefined;
  readonly instanceStatus?: string | undefined;
  readonly status?: InstanceStatus | undefined;
}): Straggler => ({
  instanceId: printable(p.instanceId),
  reason: printable(p.reason ?? 'agent-offline'),
  region: printableOrUndefined(p.region),
  instanceStatus: printableOrUndefined(p.instanceStatus),
  online: p.status?.cloudAssistantStatus,
  version: printableOrUndefined(p.status?.cloudAssistantVersion),
  lastHeartbeatTime: printableOrUndefined(p.status?.lastHeartbeatTime),
});

const reportOutcome = (report: ReadinessReport, multiRegion: boolean): WaitOutcome => ({
  kind: 'ready',
  multiRegion,
  remediations: report.remediations,
  instanceStatusCalls: report.instanceStatusCalls,
  remediationCalls: report.remediationCalls,
  total: report.total,
  ready: report.ready.length,
  target: report.required,
  elapsedMs: report.elapsedMs,
  rounds: report.rounds,
  apiCalls: report.apiCalls,
  throttledCalls: report.throttledCalls,
  stragglers: report.instances.filter((i) => !i.ready).map(toStraggler),
});

/** The exit code of a wait that ended with an outcome (not an exception). */
const outcomeExitCode = (outcome: WaitOutcome): ExitCode => {
  if (outcome.kind === 'ready') return ExitCode.ok;
  if (outcome.kind === 'aborted') return ExitCode.aborted;
  // Every straggler was unknown only because the API kept failing: that is an API failure.
  if (outcome.stragglers.length > 0 && outcome.stragglers.every((s) => s.reason.startsWith('errors:'))) {
    return ExitCode.api;
  }
  return ExitCode.notReady;
};

/** The counters a report or a terminal error carries (elapsed time comes from the outcome). */
type WaitCountersLike = Omit<WaitCounters, 'elapsedMs'>;

/** `cn-hangzhou`, or `cn-hangzhou, cn-beijing`. */
const regionNames = (clients: readonly EcsClient[]): string => clients.map((c) => c.region).join(', ');

/** Where the JSON report says it asked: one region and its endpoint, or the regions. */
export const whereJson = (clients: readonly EcsClient[]): Record<string, unknown> =>
  clients.length === 1
    ? { region: clients[0]!.region, endpoint: clients[0]!.endpoint, regions: [clients[0]!.region] }
    : { regions: clients.map((c) => c.region) };

/** A pending instance in the JSON report's `notReady`. */
const notReadyJson = (st: Straggler): Record<string, unknown> => ({
  instanceId: st.instanceId,
  reason: st.reason,
  ...(st.region === undefined ? {} : { region: st.region }),
  ...(st.instanceStatus === undefined ? {} : { instanceStatus: st.instanceStatus }),
});

const finishWait = (
  ctx: Context,
  clients: readonly EcsClient[],
  outcome: WaitOutcome,
  report: ReadinessReport | undefined,
  error?: (WaitCountersLike & { readonly code: string; readonly message: string }) | undefined,
  ids?: readonly string[],
  last?: LastError | undefined,
): number => {
  const exitCode = outcomeExitCode(outcome);
  const s = ctx.settings;
  const failed = exitCode !== ExitCode.ok;
  // A timeout in which the API never answered for the stragglers is a connection problem: say
  // what failed and where, as `status` does, not only `errors: ECS_NETWORK_ERROR ×8`.
  const lastError = last?.text;
  const apiAdvice =
    exitCode === ExitCode.api && last !== undefined
      ? `The API did not answer for these instances: last error ${last.text}${last.from === undefined ? '' : ` from ${last.from}`}; check --endpoint and --region, the network and any proxy.`
      : undefined;
  if (!s.quiet || failed) {
    const sink = s.quiet && !s.json ? ctx.stderr : ctx.human;
    const style = makeStyle(s.quiet && !s.json ? false : ctx.color);
    sink.write(`${renderOutcome(outcome, style, ctx.now())}\n`);
    if (apiAdvice !== undefined) sink.write(`${style.red(apiAdvice)}\n`);
  }
  if (s.json) {
    const counters: WaitCountersLike | undefined = report ?? error;
    const json = {
      command: 'wait',
      ok: !failed,
      exitCode,
      outcome: outcome.kind === 'ready' && outcome.ready < outcome.total ? 'quorum' : outcome.kind,
      ...whereJson(clients),
      total: outcome.total,
      required: outcome.target,
      readyCount: outcome.ready,
      elapsedMs: outcome.elapsedMs,
      rounds: counters?.rounds,
      apiCalls: counters?.apiCalls,
      retries: counters?.retries,
      bisectionCalls: counters?.bisectionCalls,
      throttledCalls: counters?.throttledCalls,
      errors: counters?.errors ?? {},
      instanceStatusCalls: counters?.instanceStatusCalls ?? 0,
      remediationCalls: counters?.remediationCalls ?? 0,
      ready: report?.ready ?? (error as { ready?: readonly string[] } | undefined)?.ready ?? [],
      notReady: outcome.stragglers.map(notReadyJson),
      remediations: outcome.remediations ?? [],
      instances: report?.instances ?? stragglerInstances(error, ids ?? []),
      ...(lastError === undefined || exitCode !== ExitCode.api ? {} : { lastError }),
      ...(error === undefined ? {} : { error: { code: error.code, message: inFlagTerms(error.message) } }),
    };
    ctx.stdout.write(jsonLine(json));
  }
  return exitCode;
};

/** Every instance of a failed wait, in input order: ready ones, then why the others are not. */
const stragglerInstances = (error: unknown, ids: readonly string[]): unknown[] => {
  if (!isQuorumUnreachableError(error) && !isCloudAssistantTimeoutError(error)) return [];
  const pending = isQuorumUnreachableError(error) ? [...error.unreachable, ...error.pending] : error.pending;
  const byId = new Map<string, unknown>();
  for (const id of error.ready) byId.set(id, { instanceId: id, ready: true });
  for (const p of pending) byId.set(p.instanceId, { ...p, ready: false });
  return ids.map((id) => byId.get(id)).filter((x) => x !== undefined);
};

const aborted = (
  ctx: Context,
  last: ReadinessProgress | undefined,
  wait?: {
    readonly clients: readonly EcsClient[];
    readonly ids: readonly string[];
    readonly readySoFar: ReadonlySet<string>;
    readonly required: number;
    readonly elapsedMs: number;
  },
): number => {
  const s = ctx.settings;
  const clients = wait?.clients;
  const required = wait?.required;
  const elapsedMs = wait?.elapsedMs;
  const ids = wait?.ids ?? [];
  const outcome: WaitOutcome = {
    kind: 'aborted',
    total: last?.total ?? ids.length,
    ready: last?.readyCount ?? 0,
    target: last?.required ?? required ?? 0,
    elapsedMs: elapsedMs ?? last?.elapsedMs ?? 0,
    rounds: last?.round,
    apiCalls: last?.apiCalls,
    stragglers: [],
  };
  if (!s.quiet) ctx.human.write(`${renderOutcome(outcome, makeStyle(ctx.color), ctx.now())}\n`);
  if (s.json) {
    ctx.stdout.write(
      jsonLine({
        command: s.command,
        ok: false,
        exitCode: ExitCode.aborted,
        outcome: 'aborted',
        ...(clients === undefined ? {} : whereJson(clients)),
        total: outcome.total,
        required: outcome.target,
        readyCount: outcome.ready,
        elapsedMs: outcome.elapsedMs,
        rounds: outcome.rounds,
        apiCalls: outcome.apiCalls,
        // Every ID once, as in the other reports: ready so far, or not ready because the wait
        // was stopped (the engine keeps no per-instance reasons for an aborted wait).
        ready: ids.filter((id) => wait?.readySoFar.has(id)),
        notReady: ids
          .filter((id) => !wait?.readySoFar.has(id))
          .map((instanceId) => ({ instanceId, reason: 'aborted' })),
        error: { code: 'ABORTED', message: 'Aborted by a signal before the wait finished.' },
      }),
    );
  }
  return ExitCode.aborted;
};

const runStatus = async (
  ctx: Context,
  clients: readonly EcsClient[],
  ids: readonly string[],
): Promise<number> => {
  const s = ctx.settings;
  // `--timeout` bounds status too (a listing that never ends, an API that never answers).
  const timeoutMs = s.timeoutMs ?? defaults.timeoutMs;
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(new CliTimeoutError(`status did not finish within --timeout ${formatMs(timeoutMs)}`)),
    timeoutMs,
  );
  const signal = ctx.signal === undefined ? deadline.signal : AbortSignal.any([ctx.signal, deadline.signal]);
  const read = { instances: 0 };
  let statuses: Awaited<ReturnType<typeof readStatuses>>;
  try {
    statuses = await readStatuses(clients, ids, {
      concurrency: s.concurrency ?? defaults.concurrency,
      signal,
      read,
    });
  } catch (error) {
    if (deadline.signal.aborted && !ctx.signal?.aborted) {
      throw new CliTimeoutError(
        `status did not finish within --timeout ${formatMs(timeoutMs)} (${read.instances} instance${read.instances === 1 ? '' : 's'} read); raise --timeout.`,
      );
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const nowMs = ctx.now();
  // Without IDs every ID, and always the versions, times and OS names, came from the API.
  const rows: StatusRow[] = statuses.map((r) =>
    r.status === undefined
      ? { instanceId: printable(r.instanceId), found: false, region: printableOrUndefined(r.region) }
      : {
          instanceId: printable(r.instanceId),
          found: true,
          region: printableOrUndefined(r.region),
          instanceStatus: printableOrUndefined(r.instanceStatus),
          online: r.status.cloudAssistantStatus,
          version: printableOrUndefined(r.status.cloudAssistantVersion),
          lastHeartbeatTime: printableOrUndefined(r.status.lastHeartbeatTime),
          supportSessionManager: r.status.supportSessionManager,
          osType: printableOrUndefined(r.status.osType),
        },
  );
  // With --json, stdout holds the report and stderr only diagnostics: no table.
  if (!s.quiet && !s.json) {
    ctx.human.write(
      rows.length === 0
        ? `No instances with Cloud Assistant information in ${regionNames(clients)}.\n`
        : `${renderStatusTable(rows, makeStyle(ctx.color), nowMs, clients.length > 1)}\n`,
    );
  }
  if (s.json) {
    ctx.stdout.write(
      jsonLine({
        command: 'status',
        ok: true,
        exitCode: ExitCode.ok,
        ...whereJson(clients),
        total: rows.length,
        online: rows.filter((r) => r.online === true).length,
        notFound: rows.filter((r) => !r.found).map((r) => r.instanceId),
        instances: statuses.map((r) => ({
          instanceId: r.instanceId,
          found: r.status !== undefined,
          ...(r.region === undefined ? {} : { region: r.region }),
          ...(r.status === undefined ? {} : statusJson(r.status, nowMs)),
          ...(r.instanceStatus === undefined ? {} : { instanceStatus: r.instanceStatus }),
        })),
      }),
    );
  }
  return ExitCode.ok;
};

const statusJson = (status: InstanceStatus, nowMs: number): Record<string, unknown> => {
  const beat = status.lastHeartbeatTime === undefined ? Number.NaN : Date.parse(status.lastHeartbeatTime);
  return {
    ...status,
    instanceId: status.instanceId,
    heartbeatAgeMs: Number.isNaN(beat) ? null : Math.max(0, nowMs - beat),
  };
};

/** A waiter error that still accounts for every instance (not the timeout or quorum, shown as outcomes). */
const accountedFailure = (error: unknown): WaitOutcomeError | undefined =>
  (isStatusSourceError(error) || isSourceUnreachableError(error) || isRemediationError(error)) &&
  error.pending.length > 0
    ? error
    : undefined;

/** The stable code of the JSON report's `error`: ours for CLI and waiter errors, else the root cause's. */
const reportCode = (error: unknown): string => {
  if (isCliUsageError(error)) return error.code;
  if (isSourceUnreachableError(error)) return error.code;
  return rootCodeOf(error) ?? 'ERROR';
};

/** Reports an error that ended the run, on stderr (and as the JSON report with --json). */
const fail = (
  error: unknown,
  out: {
    stdout: TextSink;
    stderr: TextSink;
    json: boolean;
    command: string | undefined;
    color: boolean;
    clients?: readonly EcsClient[] | undefined;
  },
): number => {
  const exitCode = exitCodeForError(error);
  const apiCode = apiCodeOf(error);
  const clients = out.clients !== undefined && out.clients.length > 0 ? out.clients : undefined;
  const endpoints = [...new Set(clients?.map((c) => c.endpoint))];
  // A denied remediation already names the permission to grant (InstallCloudAssistant or
  // RebootInstances); the generic hint would name the polling permission instead.
  const fix = isRemediationError(error)
    ? undefined
    : fixForApiCode(apiCode, {
        region: clients?.map((c) => c.region).join(' or '),
        endpoint: endpoints.length === 1 ? endpoints[0] : undefined,
      });
  // Messages quote the API (Message, an error page's excerpt) and files: printable only.
  const message = printable(describeError(error) + (fix === undefined ? '' : `\n${fix}`), true);
  const style = makeStyle(out.color);
  out.stderr.write(`${style.red('Error:')} ${message}\n`);
  // A failure during a wait still accounts for every instance: say which were ready, unless the
  // list would only repeat the error for each one (nothing ready, every reason the same error).
  const fatal = accountedFailure(error);
  if (
    fatal !== undefined &&
    (fatal.ready.length > 0 || fatal.pending.some((p) => !p.reason.startsWith('errors:')))
  ) {
    const shown = fatal.pending
      .slice(0, 3)
      .map((p) => `${p.instanceId} (${printable(p.reason)})`)
      .join(', ');
    const more = fatal.pending.length > 3 ? ` and ${fatal.pending.length - 3} more` : '';
    out.stderr.write(
      `${fatal.ready.length}/${fatal.ready.length + fatal.pending.length} ready when it failed; not ready: ${shown}${more}.\n`,
    );
  }
  if (isCliUsageError(error) && error.code === 'CLI_USAGE' && !message.includes('--help')) {
    out.stderr.write('Run with --help for usage.\n');
  }
  if (out.json) {
    out.stdout.write(
      jsonLine({
        ...(out.command === undefined ? {} : { command: out.command }),
        ok: false,
        exitCode,
        outcome: 'error',
        ...(clients === undefined ? {} : whereJson(clients)),
        ...(fatal === undefined
          ? {}
          : {
              total: fatal.ready.length + fatal.pending.length,
              required: fatal.required,
              readyCount: fatal.ready.length,
              elapsedMs: fatal.elapsedMs,
              rounds: fatal.rounds,
              apiCalls: fatal.apiCalls,
              ready: fatal.ready,
              notReady: fatal.pending.map((p) => ({ instanceId: p.instanceId, reason: p.reason })),
            }),
        error: {
          code: reportCode(error),
          ...(apiCode === undefined ? {} : { apiCode }),
          ...(isSourceUnreachableError(error)
            ? {
                lastErrorCode: error.lastErrorCode,
                lastErrorCauseCode: error.lastErrorCauseCode,
                endpoint: error.endpoint,
                ...(error.regions.length > 1 ? { regions: error.regions } : {}),
              }
            : {}),
          message,
        },
      }),
    );
  }
  return exitCode;
};

/** The engine's option names, as the flags that set them. */
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
const OPTION_NAME = new RegExp(
  `(?<![\\w.-])(${Object.keys(FLAG_OF_OPTION)
    .map((k) => k.replace('.', '\\.'))
    .join('|')})(?!\\w)`,
  'g',
);

/**
 * A `TypeError` or `RangeError` from the engine's option validation, as a usage error (exit 2)
 * in CLI terms; anything else unchanged. The CLI checks its flags against the engine's limits,
 * so this only matters if the two drift apart, and then the user still gets exit 2, not 4.
 */
export const engineOptionError = (error: unknown): unknown => {
  if (!(error instanceof TypeError || error instanceof RangeError)) return error;
  const message = error.message.replace(OPTION_NAME, (name) => FLAG_OF_OPTION[name] ?? name);
  return new CliUsageError(`Invalid option: ${message}`, { cause: error });
};

/** A waiter message in CLI terms: the flags instead of the options they set (`timeoutMs` → `--timeout`). */
const inFlagTerms = (message: string): string => message.replace(OPTION_NAME, (n) => FLAG_OF_OPTION[n] ?? n);

/**
 * One or two sentences for a person: the error's message, plus its cause's when the error
 * wraps one (the waiter's StatusSourceError names the API code; core's message says more).
 * A usage error already says what to fix in CLI terms, so its cause is not repeated; the
 * credentials error keeps its multi-line list of every place that was looked in.
 */
export const describeError = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  const code = rootCodeOf(error);
  const exit = exitCodeForError(error);
  // Waiter messages name options; a CLI user knows the flags that set them.
  let text = isWaiterError(error)
    ? error.message.replace(OPTION_NAME, (n) => FLAG_OF_OPTION[n] ?? n)
    : error.message;
  if (isSourceUnreachableError(error))
    text = text.replace('check the endpoint and region', 'check --endpoint and --region');
  if (
    !(error instanceof CliUsageError) &&
    cause instanceof Error &&
    cause.message !== '' &&
    !text.includes(cause.message)
  ) {
    // ECS echoes its string to sign in SignatureDoesNotMatch: not secret, but noise in a log.
    const short = cause.message.replace(/\s*server string to sign is:[\s\S]*?(?=\(request |$)/i, ' ').trim();
    text += ` Cause: ${code === 'ECS_CREDENTIALS' ? short : short.split('\n')[0]}`;
  }
  if (
    exit === ExitCode.credentials &&
    code === 'ECS_CREDENTIALS' &&
    /No Alibaba Cloud credentials found/.test(text)
  ) {
    text += `${text.includes('\n') ? '\n' : ' '}Set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or pick a --profile.`;
  }
  return text;
};

const formatMs = (ms: number): string => {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
};
