import { printable, printableOrUndefined } from '@cloud-assistant-gate/core';
import { defaults } from '../options.js';
import { dryRunAction, type RemediationRecord } from '../remediate.js';
import type { CliSettings } from './args.js';
import type { CommandRun } from './context.js';
import { formatDuration } from './duration.js';
import { ExitCode } from './errors.js';
import { toJsonReport } from './json-report.js';
import { readStatuses } from './read-statuses.js';
import { makeStyle, table } from './render.js';

/** What remediation did so far, by instance (the last record of each wins). */
export type RemediationLog = Map<string, RemediationRecord>;

/** The line a wait with `--install-missing` starts with: say plainly what it will do. */
export const remediationNotice = (r: NonNullable<CliSettings['remediate']>): string => {
  const after = formatDuration(r.afterMs ?? defaults.remediateAfterMs);
  return r.reboot
    ? `Remediation on: Running instances whose agent has not reported for ${after} get Cloud Assistant installed and are REBOOTED (--allow-reboot).`
    : `Remediation on: Running instances whose agent has not reported for ${after} get Cloud Assistant installed; no reboot (the agent starts at their next boot; --allow-reboot reboots them).`;
};

/**
 * `wait --install-missing --dry-run`: reads every instance's agent and lifecycle status once
 * (across the regions), prints what remediation would install and reboot, changes nothing and
 * exits 0. The time condition (`--remediate-after` without an agent) is not waited for: the list
 * is what would qualify if nothing changes meanwhile.
 */
export const runDryRun: CommandRun = async (ctx, clients, entries) => {
  const s = ctx.settings;
  const reboot = s.remediate?.reboot === true;
  const rows = await readStatuses(clients, entries, {
    concurrency: s.concurrency ?? defaults.concurrency,
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
  });
  const planned = rows.map((r) => ({ ...r, ...dryRunAction(r.status, r.instanceStatus, reboot) }));
  const install = planned.filter((p) => p.action !== 'none').map((p) => p.instanceId);
  const rebooted = planned.filter((p) => p.action === 'install-and-reboot').map((p) => p.instanceId);
  if (!s.quiet) {
    const style = makeStyle(ctx.color);
    const after = formatDuration(s.remediate?.afterMs ?? defaults.remediateAfterMs);
    const body = table(
      ['INSTANCE', 'REGION', 'ECS STATUS', 'AGENT', 'WOULD', 'WHY'],
      // IDs, regions and statuses came from files and the API: printable only.
      planned.map((p) => [
        printable(p.instanceId),
        printableOrUndefined(p.region) ?? '-',
        printableOrUndefined(p.instanceStatus) ?? '-',
        p.status === undefined ? 'not found' : p.status.cloudAssistantStatus ? 'online' : 'offline',
        p.action === 'install-and-reboot'
          ? style.yellow('install + REBOOT')
          : p.action === 'install'
            ? 'install'
            : '-',
        printable(p.why),
      ]),
      style,
    );
    ctx.human.write(
      `Dry run: nothing is installed or rebooted.\n${body}\n` +
        `Would install Cloud Assistant on ${install.length} of ${planned.length} instance${planned.length === 1 ? '' : 's'}` +
        `${reboot ? ` and reboot ${rebooted.length === 1 ? 'it' : 'them'}` : ' (no reboot without --allow-reboot)'}, ` +
        `once each has been seen Running for ${after} without an agent.\n`,
    );
  }
  if (s.json) {
    ctx.stdout.write(
      toJsonReport({ kind: 'dry-run', regions: clients.map((c) => c.region), instances: planned }),
    );
  }
  return ExitCode.ok;
};
