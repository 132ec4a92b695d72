import type { InstanceStatus } from '@cloud-assistant-gate/core';
import { jsonLine } from '@cloud-assistant-gate/core';
import type { WaitCounters } from '../errors.js';
import type { dryRunAction, RemediationRecord } from '../remediate.js';
import type { Command } from './args.js';
import { ExitCode } from './errors.js';
import type { Straggler } from './render.js';

/*
 * The one place that decides what `--json` prints. Every run prints exactly one document, and
 * every document starts the same way (`command`, `ok`, `exitCode`, `outcome`, where it asked) so
 * that a script can branch on `ok` and `exitCode` before it knows which command ran. The field
 * names and their order are public (README, CLI.md, the e2e tests): add fields, never rename one.
 */

/** A region the run asked, with the endpoint its client used. */
export interface Where {
  readonly region: string;
  readonly endpoint: string;
}

/** An instance a wait did not see ready, as its `notReady` entry. */
export type NotReadyEntry = Pick<Straggler, 'instanceId' | 'reason' | 'region' | 'instanceStatus'>;

/** How far a wait got: the counts and lists of every wait document (done, failed or aborted). */
export interface WaitTally {
  readonly total: number;
  readonly required: number;
  readonly readyCount: number;
  readonly elapsedMs: number;
  readonly rounds: number | undefined;
  readonly apiCalls: number | undefined;
  /** Ready IDs, in input order. */
  readonly ready: readonly string[];
  /** Every other ID, with why it is not ready. */
  readonly notReady: readonly NotReadyEntry[];
}

/** A wait that ended with an outcome: ready (or a quorum), timed out, or quorum unreachable. */
export interface WaitDocument {
  readonly kind: 'wait';
  readonly exitCode: ExitCode;
  readonly outcome: 'ready' | 'quorum' | 'timeout' | 'quorum-unreachable';
  readonly where: readonly Where[];
  readonly tally: WaitTally;
  /** The engine's counters (a report's, or the timeout or quorum error's). */
  readonly counters: Omit<WaitCounters, 'elapsedMs'>;
  readonly remediations: readonly RemediationRecord[];
  /** Every instance: the report's `instances`, or the failed wait's per-instance account. */
  readonly instances: readonly unknown[];
  /** The last API error, when the API kept failing for the stragglers (exit 4). */
  readonly lastError?: string | undefined;
  /** The timeout or quorum error, in CLI terms. */
  readonly error?: { readonly code: string; readonly message: string } | undefined;
}

/** A run stopped by a signal (exit 130): the wait's tally so far, when there was a wait. */
export interface AbortedDocument {
  readonly kind: 'aborted';
  readonly command: Command;
  readonly where?: readonly Where[] | undefined;
  readonly tally: WaitTally;
}

/** The `error` of a run that ended with an error: its stable code, API code, and message. */
export interface ErrorEntry {
  readonly code: string;
  readonly apiCode?: string | undefined;
  /** For a source that never answered: the last error's code and low-level code, and where. */
  readonly unreachable?:
    | {
        readonly lastErrorCode: string | undefined;
        readonly lastErrorCauseCode: string | undefined;
        readonly endpoint: string | undefined;
        /** Each region asked and what it last said, only when the wait asked several. */
        readonly regions?: readonly unknown[] | undefined;
      }
    | undefined;
  readonly message: string;
}

/** A run that ended with an error (exit 2, 3 or 4), with the wait's tally when it still had one. */
export interface ErrorDocument {
  readonly kind: 'error';
  /** Undefined when the command line named none. */
  readonly command: Command | undefined;
  readonly exitCode: ExitCode;
  readonly where?: readonly Where[] | undefined;
  readonly tally?: WaitTally | undefined;
  readonly error: ErrorEntry;
}

/** One instance `status` read (or did not find). */
export interface StatusEntry {
  readonly instanceId: string;
  readonly region?: string | undefined;
  /** Undefined: no region knows the ID. */
  readonly status?: InstanceStatus | undefined;
  readonly instanceStatus?: string | undefined;
}

/** `status`: every instance's agent, read once. */
export interface StatusDocument {
  readonly kind: 'status';
  readonly where: readonly Where[];
  readonly instances: readonly StatusEntry[];
  /** The wall clock when the statuses were read, for heartbeat ages. */
  readonly nowMs: number;
}

/** `wait --install-missing --dry-run`: what remediation would do to each instance. */
export interface DryRunDocument {
  readonly kind: 'dry-run';
  readonly regions: readonly string[];
  readonly instances: readonly (StatusEntry & ReturnType<typeof dryRunAction>)[];
}

/** Every document `--json` prints. */
export type JsonReport = WaitDocument | AbortedDocument | ErrorDocument | StatusDocument | DryRunDocument;

/**
 * The `--json` document of a run, as one line: the envelope every document shares, then the
 * fields of its kind. `ok` is `exitCode === 0`, so the two can never disagree. Strings are
 * escaped by `jsonLine`, so nothing from the API reaches a terminal raw even when the report is
 * printed to one.
 *
 * @example
 * stdout.write(toJsonReport({ kind: 'status', where: [{ region, endpoint }], instances, nowMs: Date.now() }));
 */
export const toJsonReport = (report: JsonReport): string => {
  const exitCode = exitCodeOf(report);
  const head = {
    ...(commandOf(report) === undefined ? {} : { command: commandOf(report) }),
    ...(report.kind === 'dry-run' ? { dryRun: true } : {}),
    ok: exitCode === ExitCode.ok,
    exitCode,
    ...(report.kind === 'status' ? {} : { outcome: outcomeOf(report) }),
  };
  return jsonLine({ ...head, ...body(report) });
};

const commandOf = (report: JsonReport): Command | undefined => {
  switch (report.kind) {
    case 'aborted':
    case 'error':
      return report.command;
    case 'status':
      return 'status';
    default:
      return 'wait';
  }
};

const exitCodeOf = (report: JsonReport): ExitCode => {
  switch (report.kind) {
    case 'wait':
    case 'error':
      return report.exitCode;
    case 'aborted':
      return ExitCode.aborted;
    default:
      return ExitCode.ok;
  }
};

const outcomeOf = (report: Exclude<JsonReport, StatusDocument>): string =>
  report.kind === 'wait' ? report.outcome : report.kind;

const body = (report: JsonReport): Record<string, unknown> => {
  switch (report.kind) {
    case 'wait': {
      const c = report.counters;
      return {
        ...whereFields(report.where),
        ...tallyFields(report.tally, {
          retries: c.retries,
          bisectionCalls: c.bisectionCalls,
          throttledCalls: c.throttledCalls,
          errors: c.errors,
          instanceStatusCalls: c.instanceStatusCalls,
          remediationCalls: c.remediationCalls,
        }),
        remediations: report.remediations,
        instances: report.instances,
        ...(report.lastError === undefined ? {} : { lastError: report.lastError }),
        ...(report.error === undefined ? {} : { error: report.error }),
      };
    }
    case 'aborted':
      return {
        ...(report.where === undefined ? {} : whereFields(report.where)),
        ...tallyFields(report.tally),
        error: { code: 'ABORTED', message: 'Aborted by a signal before the wait finished.' },
      };
    case 'error': {
      const { unreachable } = report.error;
      return {
        ...(report.where === undefined ? {} : whereFields(report.where)),
        ...(report.tally === undefined ? {} : tallyFields(report.tally)),
        error: {
          code: report.error.code,
          ...(report.error.apiCode === undefined ? {} : { apiCode: report.error.apiCode }),
          ...(unreachable === undefined
            ? {}
            : {
                lastErrorCode: unreachable.lastErrorCode,
                lastErrorCauseCode: unreachable.lastErrorCauseCode,
                endpoint: unreachable.endpoint,
                ...(unreachable.regions === undefined ? {} : { regions: unreachable.regions }),
              }),
          message: report.error.message,
        },
      };
    }
    case 'status':
      return {
        ...whereFields(report.where),
        total: report.instances.length,
        online: report.instances.filter((r) => r.status?.cloudAssistantStatus === true).length,
        notFound: report.instances.filter((r) => r.status === undefined).map((r) => r.instanceId),
        instances: report.instances.map((r) => ({
          instanceId: r.instanceId,
          found: r.status !== undefined,
          ...(r.region === undefined ? {} : { region: r.region }),
          ...(r.status === undefined ? {} : statusFields(r.status, report.nowMs)),
          ...(r.instanceStatus === undefined ? {} : { instanceStatus: r.instanceStatus }),
        })),
      };
    case 'dry-run':
      return {
        regions: report.regions,
        total: report.instances.length,
        install: report.instances.filter((p) => p.action !== 'none').map((p) => p.instanceId),
        reboot: report.instances.filter((p) => p.action === 'install-and-reboot').map((p) => p.instanceId),
        instances: report.instances.map((p) => ({
          instanceId: p.instanceId,
          ...(p.region === undefined ? {} : { region: p.region }),
          found: p.status !== undefined,
          ...(p.status === undefined ? {} : { online: p.status.cloudAssistantStatus }),
          ...(p.instanceStatus === undefined ? {} : { instanceStatus: p.instanceStatus }),
          action: p.action,
          why: p.why,
        })),
      };
  }
};

/** Where the run asked: one region and its endpoint, or the regions. */
const whereFields = (where: readonly Where[]): Record<string, unknown> =>
  where.length === 1
    ? { region: where[0]!.region, endpoint: where[0]!.endpoint, regions: [where[0]!.region] }
    : { regions: where.map((w) => w.region) };

/** The tally; a finished wait's extra counters go between the counts and the lists. */
const tallyFields = (t: WaitTally, counters: Record<string, unknown> = {}): Record<string, unknown> => ({
  total: t.total,
  required: t.required,
  readyCount: t.readyCount,
  elapsedMs: t.elapsedMs,
  rounds: t.rounds,
  apiCalls: t.apiCalls,
  ...counters,
  ready: t.ready,
  notReady: t.notReady.map((st) => ({
    instanceId: st.instanceId,
    reason: st.reason,
    ...(st.region === undefined ? {} : { region: st.region }),
    ...(st.instanceStatus === undefined ? {} : { instanceStatus: st.instanceStatus }),
  })),
});

/** A reading as `status` reports it: the API's fields, and the heartbeat's age (null: none). */
const statusFields = (status: InstanceStatus, nowMs: number): Record<string, unknown> => {
  const beat = status.lastHeartbeatTime === undefined ? Number.NaN : Date.parse(status.lastHeartbeatTime);
  return {
    ...status,
    instanceId: status.instanceId,
    heartbeatAgeMs: Number.isNaN(beat) ? null : Math.max(0, nowMs - beat),
  };
};
