import type { EcsClient, InstanceStatus } from '@cloud-assistant-gate/core';
import { printable, printableOrUndefined } from '@cloud-assistant-gate/core';
import {
  type CloudAssistantTimeoutError,
  isQuorumUnreachableError,
  type PendingInstance,
  type QuorumUnreachableError,
} from '../errors.js';
import type { RemediationRecord } from '../remediate.js';
import type { ReadinessProgress, ReadinessReport } from '../report.js';
import type { Context } from './context.js';
import { ExitCode } from './errors.js';
import { exitCodeForOutcome } from './exit-code.js';
import { type NotReadyEntry, toJsonReport, type WaitTally } from './json-report.js';
import { makeStyle, renderOutcome, type Straggler, type WaitOutcome } from './render.js';
import { inFlagTerms } from './wait-options.js';

/*
 * How a wait ends on screen and in `--json`: ready (or a quorum), timed out, quorum unreachable,
 * or aborted. The summary line and the straggler table are the same text whichever way the wait
 * ended; the exit code comes from `exit-code.ts`.
 */

/** The last API error a wait saw (see `ProgressRenderer.lastError`), and where it came from. */
export interface LastError {
  readonly text: string;
  readonly from: string | undefined;
}

/** A wait that ended as the engine reported it: ready, or a quorum with tolerated stragglers. */
export const reportReady = (ctx: Context, clients: readonly EcsClient[], report: ReadinessReport): number => {
  const outcome = {
    kind: 'ready' as const,
    multiRegion: clients.length > 1,
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
  };
  return finish(ctx, clients, outcome, {
    counters: report,
    ready: report.ready,
    instances: report.instances,
    last: undefined,
  });
};

/**
 * A wait that ran out of time, or could no longer meet its quorum: the stragglers with their
 * reasons, every instance in input order, and the last API error when that is why.
 */
export const reportNotReady = (
  ctx: Context,
  clients: readonly EcsClient[],
  error: CloudAssistantTimeoutError | QuorumUnreachableError,
  ids: readonly string[],
  remediations: readonly RemediationRecord[],
  last: LastError | undefined,
): number => {
  const pending: readonly PendingInstance[] = isQuorumUnreachableError(error)
    ? [...error.unreachable, ...error.pending]
    : error.pending;
  const outcome = {
    kind: isQuorumUnreachableError(error) ? ('quorum-unreachable' as const) : ('timeout' as const),
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
    remediations,
  };
  // Every instance of the failed wait, in input order: ready ones, then why the others are not.
  const byId = new Map<string, unknown>();
  for (const id of error.ready) byId.set(id, { instanceId: id, ready: true });
  for (const p of pending) byId.set(p.instanceId, { ...p, ready: false });
  return finish(ctx, clients, outcome, {
    counters: error,
    ready: error.ready,
    instances: ids.map((id) => byId.get(id)).filter((x) => x !== undefined),
    error,
    last,
  });
};

/** What a wait knew when a signal stopped it (the engine keeps no per-instance reasons then). */
export interface AbortedWait {
  readonly clients: readonly EcsClient[];
  readonly ids: readonly string[];
  /** Ready so far (from each round's `newlyReady`). */
  readonly readySoFar: ReadonlySet<string>;
  readonly required: number;
  readonly elapsedMs: number;
  /** The last round's progress, if a round ended. */
  readonly last: ReadinessProgress | undefined;
}

/**
 * A run stopped by a signal (exit 130): the summary so far and, with `--json`, every ID once,
 * ready or not ready because the run was stopped. `wait` undefined: stopped before a wait began.
 */
export const reportAborted = (ctx: Context, wait?: AbortedWait): number => {
  const s = ctx.settings;
  const last = wait?.last;
  const ids = wait?.ids ?? [];
  const outcome: WaitOutcome = {
    kind: 'aborted',
    total: last?.total ?? ids.length,
    ready: last?.readyCount ?? 0,
    target: last?.required ?? wait?.required ?? 0,
    elapsedMs: wait?.elapsedMs ?? last?.elapsedMs ?? 0,
    rounds: last?.round,
    apiCalls: last?.apiCalls,
    stragglers: [],
  };
  if (!s.quiet) ctx.human.write(`${renderOutcome(outcome, makeStyle(ctx.color), ctx.now())}\n`);
  if (s.json) {
    ctx.stdout.write(
      toJsonReport({
        kind: 'aborted',
        command: s.command,
        where: wait?.clients,
        tally: {
          ...tallyOf(outcome),
          ready: ids.filter((id) => wait?.readySoFar.has(id)),
          notReady: ids
            .filter((id) => !wait?.readySoFar.has(id))
            .map((instanceId) => ({ instanceId, reason: 'aborted' })),
        },
      }),
    );
  }
  return ExitCode.aborted;
};

/** The counts of an outcome, as the JSON tally starts. */
const tallyOf = (outcome: WaitOutcome): Omit<WaitTally, 'ready' | 'notReady'> => ({
  total: outcome.total,
  required: outcome.target,
  readyCount: outcome.ready,
  elapsedMs: outcome.elapsedMs,
  rounds: outcome.rounds,
  apiCalls: outcome.apiCalls,
});

/** The summary (and the stragglers) on screen, the report with `--json`; returns the exit code. */
const finish = (
  ctx: Context,
  clients: readonly EcsClient[],
  outcome: WaitOutcome & { readonly kind: 'ready' | 'timeout' | 'quorum-unreachable' },
  result: {
    readonly counters: ReadinessReport | CloudAssistantTimeoutError | QuorumUnreachableError;
    readonly ready: readonly string[];
    readonly instances: readonly unknown[];
    readonly error?: CloudAssistantTimeoutError | QuorumUnreachableError;
    readonly last: LastError | undefined;
  },
): number => {
  const exitCode = exitCodeForOutcome(outcome);
  const s = ctx.settings;
  const failed = exitCode !== ExitCode.ok;
  // A timeout in which the API never answered for the stragglers is a connection problem: say
  // what failed and where, as `status` does, not only `errors: ECS_NETWORK_ERROR ×8`.
  const last = result.last;
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
    const { error } = result;
    ctx.stdout.write(
      toJsonReport({
        kind: 'wait',
        exitCode,
        outcome:
          outcome.kind === 'ready' ? (outcome.ready < outcome.total ? 'quorum' : 'ready') : outcome.kind,
        where: clients,
        tally: { ...tallyOf(outcome), ready: result.ready, notReady: outcome.stragglers.map(notReadyEntry) },
        counters: result.counters,
        remediations: outcome.remediations ?? [],
        instances: result.instances,
        lastError: last === undefined || exitCode !== ExitCode.api ? undefined : last.text,
        error: error === undefined ? undefined : { code: error.code, message: inFlagTerms(error) },
      }),
    );
  }
  return exitCode;
};

/** A straggler as the JSON report's `notReady` entry. */
const notReadyEntry = (st: Straggler): NotReadyEntry => ({
  instanceId: st.instanceId,
  reason: st.reason,
  region: st.region,
  instanceStatus: st.instanceStatus,
});

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
