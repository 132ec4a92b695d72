import { printable, printableOrUndefined } from '@cloud-assistant-gate/core';
import { defaults } from '../options.js';
import { regionNames } from './connect.js';
import type { CommandRun, Context } from './context.js';
import { formatFlagDuration } from './duration.js';
import { CliTimeoutError, ExitCode } from './errors.js';
import { toJsonReport } from './json-report.js';
import { readStatuses, type StatusReading } from './read-statuses.js';
import { makeStyle, renderStatusTable, type StatusRow } from './render.js';

/**
 * `status`: reads every instance's agent once (every instance of the regions without IDs) and
 * prints the table, or the report with `--json`. `--timeout` bounds it too (a listing that never
 * ends, an API that never answers): then it fails with exit 1, saying how far it got.
 */
export const runStatus: CommandRun = async (ctx, clients, ids) => {
  const s = ctx.settings;
  const statuses = await withinTimeout(ctx, (signal, read) =>
    readStatuses(clients, ids, { concurrency: s.concurrency ?? defaults.concurrency, signal, read }),
  );
  const nowMs = ctx.now();
  // With --json, stdout holds the report and stderr only diagnostics: no table.
  if (!s.quiet && !s.json) {
    ctx.human.write(
      statuses.length === 0
        ? `No instances with Cloud Assistant information in ${regionNames(clients)}.\n`
        : `${renderStatusTable(statuses.map(toRow), makeStyle(ctx.color), nowMs, clients.length > 1)}\n`,
    );
  }
  if (s.json) {
    ctx.stdout.write(toJsonReport({ kind: 'status', where: clients, instances: statuses, nowMs }));
  }
  return ExitCode.ok;
};

/** Runs `read` under `--timeout`: past it, a {@link CliTimeoutError} saying how many were read. */
const withinTimeout = async <T>(
  ctx: Context,
  read: (signal: AbortSignal, progress: { instances: number }) => Promise<T>,
): Promise<T> => {
  const timeoutMs = ctx.settings.timeoutMs ?? defaults.timeoutMs;
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(
        new CliTimeoutError(`status did not finish within --timeout ${formatFlagDuration(timeoutMs)}`),
      ),
    timeoutMs,
  );
  const signal = ctx.signal === undefined ? deadline.signal : AbortSignal.any([ctx.signal, deadline.signal]);
  const progress = { instances: 0 };
  try {
    return await read(signal, progress);
  } catch (error) {
    if (deadline.signal.aborted && !ctx.signal?.aborted) {
      throw new CliTimeoutError(
        `status did not finish within --timeout ${formatFlagDuration(timeoutMs)} (${progress.instances} instance${progress.instances === 1 ? '' : 's'} read); raise --timeout.`,
      );
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
};

/** A row of the table. Without IDs every ID, and always the versions, times and OS names, came from the API: printable only. */
const toRow = (r: StatusReading): StatusRow =>
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
      };
