import type { AttemptEvent, EcsClient, StatusSource } from '@cloud-assistant-gate/core';
import { printable } from '@cloud-assistant-gate/core';
import { lastValueFrom, type Observable } from 'rxjs';
import { isCloudAssistantTimeoutError, isQuorumUnreachableError } from '../errors.js';
import type { ReadinessProgress } from '../report.js';
import { watchCloudAssistant } from '../wait.js';
import { regionNames } from './connect.js';
import type { CommandRun } from './context.js';
import { formatFlagDuration } from './duration.js';
import { ProgressRenderer } from './progress.js';
import { type RemediationLog, remediationNotice } from './remediation.js';
import { describeRemediation } from './render.js';
import { engineOptionError, planWait } from './wait-options.js';
import { reportAborted, reportNotReady, reportReady } from './wait-report.js';

/**
 * `wait`: runs the engine over the instances with the flags as its options, shows its progress
 * (a live bar on a terminal, plain lines otherwise, every API error as it happens), and reports
 * how the wait ended. A timeout or an unreachable quorum is an outcome (exit 1, or 4 when the
 * API never answered for the stragglers); other failures are thrown to `runCli`.
 */
export const runWait: CommandRun = async (ctx, clients, entries) => {
  const s = ctx.settings;
  const plan = planWait(s, entries);
  const { ids, required, timeoutMs } = plan;
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
        `${required < ids.length ? ` (need ${required})` : ''}, timeout ${formatFlagDuration(timeoutMs)}…`,
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
      watch = watchCloudAssistant(plan.targets, {
        clients: Object.fromEntries(watched.map((c) => [c.region, c])),
        ...plan.options,
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
    return reportReady(ctx, clients, report);
  } catch (error) {
    renderer.close();
    if (ctx.signal?.aborted)
      return reportAborted(ctx, { clients, ids, readySoFar, required, elapsedMs: ctx.now() - started, last });
    if (isCloudAssistantTimeoutError(error) || isQuorumUnreachableError(error)) {
      const lastError =
        renderer.lastError === undefined
          ? undefined
          : { text: renderer.lastError, from: renderer.lastErrorFrom };
      return reportNotReady(ctx, clients, error, ids, [...remediations.values()], lastError);
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
