import { printable } from '@cloud-assistant-gate/core';
import type { RemediationRecord } from '../remediate.js';
import { formatDuration } from './duration.js';

/** Where text goes: a Node stream or a test's collector. */
export interface TextSink {
  write(text: string): unknown;
}

/** What a row of the straggler table and of `status` shows of an instance and its agent. */
export interface AgentRow {
  readonly instanceId: string;
  readonly region?: string | undefined;
  /** Lifecycle status from the instance-status lookup (`Running`, `Stopped`, …), when known. */
  readonly instanceStatus?: string | undefined;
  readonly online?: boolean | undefined;
  readonly version?: string | undefined;
  readonly lastHeartbeatTime?: string | undefined;
}

/** An instance that was not ready at the end, with why. */
export interface Straggler extends AgentRow {
  readonly reason: string;
}

/** How a wait ended, for the summary and the straggler table. */
export interface WaitOutcome {
  readonly kind: 'ready' | 'timeout' | 'quorum-unreachable' | 'aborted' | 'error';
  readonly total: number;
  readonly ready: number;
  readonly target: number;
  readonly elapsedMs: number;
  readonly rounds?: number | undefined;
  readonly apiCalls?: number | undefined;
  readonly throttledCalls?: number | undefined;
  /** DescribeInstanceStatus calls (instance-status lookups), beside the polls. */
  readonly instanceStatusCalls?: number | undefined;
  /** InstallCloudAssistant, RebootInstances and pre-reboot reads of remediation. */
  readonly remediationCalls?: number | undefined;
  readonly stragglers: readonly Straggler[];
  /** For `error`: the one-sentence reason. */
  readonly message?: string | undefined;
  /** The wait spans several regions: the tables get a REGION column. */
  readonly multiRegion?: boolean | undefined;
  /** What remediation did (`--install-missing`), listed after the stragglers. */
  readonly remediations?: readonly RemediationRecord[] | undefined;
}

export interface Style {
  readonly green: (s: string) => string;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const plain = (s: string) => s;

/** ANSI colours, or none at all (not a TTY, `NO_COLOR`, `TERM=dumb`). */
export const makeStyle = (color: boolean): Style =>
  color
    ? { green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22) }
    : { green: plain, red: plain, yellow: plain, dim: plain, bold: plain };

/**
 * Whether to use colour: only on a terminal, and never when `NO_COLOR` is set to anything
 * non-empty (https://no-color.org) or the terminal is `dumb`.
 */
export const colorEnabled = (tty: boolean, env: Readonly<Record<string, string | undefined>>): boolean =>
  tty && (env['NO_COLOR'] ?? '') === '' && env['TERM'] !== 'dumb';

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
export const stripAnsi = (s: string): string => s.replace(ANSI, '');

/** How many stragglers the human summary lists; `--json` always lists them all. */
export const MAX_TABLE_ROWS = 50;

/** A left-aligned text table; colour codes do not count towards widths. */
export const table = (
  header: readonly string[],
  rows: readonly (readonly string[])[],
  style: Style,
): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => stripAnsi(r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - stripAnsi(c).length)))
      .join('  ')
      .trimEnd();
  return [style.bold(line(header)), ...rows.map(line)].join('\n');
};

/** "3m ago" for a heartbeat; `never` when there was none; "just now" for clock skew. */
export const heartbeatAge = (iso: string | undefined, nowMs: number): string => {
  if (iso === undefined || iso === '') return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'unknown';
  const age = nowMs - t;
  return age < 1000 ? 'just now' : `${formatDuration(age)} ago`;
};

/**
 * The final words of a wait: one summary line, then for failures a table of the stragglers
 * with their reasons (at most {@link MAX_TABLE_ROWS}; `--json` has them all).
 */
export const renderOutcome = (outcome: WaitOutcome, style: Style, nowMs: number): string => {
  const took = formatDuration(outcome.elapsedMs);
  const counters = [
    outcome.rounds === undefined ? undefined : `${outcome.rounds} round${outcome.rounds === 1 ? '' : 's'}`,
    outcome.apiCalls === undefined
      ? undefined
      : `${outcome.apiCalls} API call${outcome.apiCalls === 1 ? '' : 's'}`,
    outcome.throttledCalls ? `${outcome.throttledCalls} throttled` : undefined,
    outcome.instanceStatusCalls
      ? `${outcome.instanceStatusCalls} instance-status lookup${outcome.instanceStatusCalls === 1 ? '' : 's'}`
      : undefined,
    outcome.remediationCalls
      ? `${outcome.remediationCalls} remediation call${outcome.remediationCalls === 1 ? '' : 's'}`
      : undefined,
  ].filter((x) => x !== undefined);
  const suffix = counters.length > 0 ? ` (${counters.join(', ')})` : '';
  const lines: string[] = [];
  switch (outcome.kind) {
    case 'ready':
      lines.push(
        style.green(
          outcome.ready === outcome.total
            ? `✔ All ${outcome.total} instance${outcome.total === 1 ? '' : 's'} ready in ${took}${suffix}.`
            : `✔ Quorum met: ${outcome.ready}/${outcome.total} ready (needed ${outcome.target}) in ${took}${suffix}.`,
        ),
      );
      break;
    case 'timeout':
      lines.push(
        style.red(
          `✖ Timed out after ${took}: ${outcome.ready}/${outcome.total} ready${outcome.target < outcome.total ? ` (needed ${outcome.target})` : ''}${suffix}.`,
        ),
      );
      break;
    case 'quorum-unreachable':
      lines.push(
        style.red(
          `✖ Quorum unreachable after ${took}: ${outcome.ready}/${outcome.total} ready, ${outcome.target} needed, and too many can no longer become ready${suffix}.`,
        ),
      );
      break;
    case 'aborted':
      lines.push(style.yellow(`■ Aborted after ${took}: ${outcome.ready}/${outcome.total} ready${suffix}.`));
      break;
    case 'error':
      lines.push(style.red(`✖ ${outcome.message ?? 'Failed.'}`));
      break;
  }
  if (outcome.stragglers.length > 0) {
    const shown = outcome.stragglers.slice(0, MAX_TABLE_ROWS);
    const label = outcome.kind === 'ready' ? 'Not ready (tolerated by --min-ready)' : 'Not ready';
    lines.push('', `${label}: ${outcome.stragglers.length}`);
    // REGION for a wait over several regions; ECS STATUS once a lookup said something.
    const region = outcome.multiRegion === true;
    const lifecycle = shown.some((s) => s.instanceStatus !== undefined);
    lines.push(
      table(
        [
          'INSTANCE',
          ...(region ? ['REGION'] : []),
          'REASON',
          ...(lifecycle ? ['ECS STATUS'] : []),
          'AGENT',
          'VERSION',
          'LAST HEARTBEAT',
        ],
        shown.map((s) => [
          s.instanceId,
          ...(region ? [s.region ?? '-'] : []),
          s.reason,
          ...(lifecycle ? [s.instanceStatus ?? '-'] : []),
          s.online === undefined ? '-' : s.online ? style.green('online') : style.red('offline'),
          s.version === undefined || s.version === '' ? '-' : s.version,
          heartbeatAge(s.lastHeartbeatTime, nowMs),
        ]),
        style,
      ),
    );
    if (outcome.stragglers.length > shown.length) {
      lines.push(style.dim(`… and ${outcome.stragglers.length - shown.length} more; --json lists them all.`));
    }
  }
  const remediations = outcome.remediations ?? [];
  if (remediations.length > 0) {
    lines.push(
      '',
      `Remediated (--install-missing): ${remediations.length}`,
      renderRemediations(remediations, style),
    );
  }
  return lines.join('\n');
};

/** What remediation did, as a person reads it: `installed Cloud Assistant, rebooted` (printable). */
export const describeRemediation = (r: RemediationRecord): string => {
  switch (r.outcome) {
    case 'installed-and-rebooted':
      return 'installed Cloud Assistant, rebooted';
    case 'installed-reboot-required':
      return 'installed Cloud Assistant; starts after a reboot (not allowed: --allow-reboot)';
    case 'installed-agent-came-up':
      return 'installed Cloud Assistant; the agent came up, not rebooted';
    case 'install-failed':
      return `install failed: ${printable(r.error ?? 'unknown error')}`;
    case 'reboot-failed':
      return `installed Cloud Assistant; reboot failed: ${printable(r.error ?? 'unknown error')}`;
  }
};

/** The remediation table: instance, region, what was done, when (at most {@link MAX_TABLE_ROWS}). */
export const renderRemediations = (records: readonly RemediationRecord[], style: Style): string => {
  const shown = records.slice(0, MAX_TABLE_ROWS);
  const time = (iso: string | undefined) => (iso === undefined ? '-' : iso.slice(11, 19));
  const out = table(
    ['INSTANCE', 'REGION', 'DONE', 'INSTALLED (UTC)', 'REBOOTED (UTC)'],
    // Records are built from API answers: printable only, like every such string.
    shown.map((r) => [
      printable(r.instanceId),
      r.region === undefined ? '-' : printable(r.region),
      r.outcome === 'install-failed' || r.outcome === 'reboot-failed'
        ? style.red(describeRemediation(r))
        : describeRemediation(r),
      time(r.installedAt),
      time(r.rebootedAt),
    ]),
    style,
  );
  return records.length > shown.length
    ? `${out}\n${style.dim(`… and ${records.length - shown.length} more; --json lists them all.`)}`
    : out;
};

/** One row of `status`. */
export interface StatusRow extends AgentRow {
  readonly found: boolean;
  readonly supportSessionManager?: boolean | undefined;
  readonly osType?: string | undefined;
}

/** The `status` table: agent status, version, heartbeat age, Session Manager support, OS. */
export const renderStatusTable = (
  rows: readonly StatusRow[],
  style: Style,
  nowMs: number,
  multiRegion = false,
): string => {
  const online = rows.filter((r) => r.online === true).length;
  const missing = rows.filter((r) => !r.found).length;
  const lifecycle = rows.some((r) => r.instanceStatus !== undefined);
  const body = table(
    [
      'INSTANCE',
      ...(multiRegion ? ['REGION'] : []),
      'AGENT',
      ...(lifecycle ? ['ECS STATUS'] : []),
      'VERSION',
      'HEARTBEAT',
      'SESSION MANAGER',
      'OS',
    ],
    rows.map((r) => {
      const region = multiRegion ? [r.region ?? '-'] : [];
      const ecs = lifecycle ? [r.instanceStatus ?? '-'] : [];
      return r.found
        ? [
            r.instanceId,
            ...region,
            r.online ? style.green('online') : style.red('offline'),
            ...ecs,
            r.version === undefined || r.version === '' ? '-' : r.version,
            heartbeatAge(r.lastHeartbeatTime, nowMs),
            r.supportSessionManager === undefined ? '-' : r.supportSessionManager ? 'yes' : 'no',
            r.osType ?? '-',
          ]
        : [r.instanceId, ...region, style.yellow('not found'), ...ecs, '-', '-', '-', '-'];
    }),
    style,
  );
  const summary = `${online}/${rows.length} online${missing > 0 ? `, ${missing} not found` : ''}.`;
  return `${body}\n${summary}`;
};
