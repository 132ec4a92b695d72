import { describe, expect, it } from 'vitest';
import {
  colorEnabled,
  heartbeatAge,
  makeStyle,
  ProgressRenderer,
  type ProgressView,
  renderOutcome,
  renderStatusTable,
  stripAnsi,
  type WaitOutcome,
} from '../src/cli/render.js';

const sink = () => {
  const chunks: string[] = [];
  return { chunks, write: (t: string) => chunks.push(t), text: () => chunks.join('') };
};
const view = (ready: number, elapsedMs: number, extra: Partial<ProgressView> = {}): ProgressView => ({
  total: 100,
  ready,
  notFound: 0,
  target: 100,
  elapsedMs,
  round: 1,
  ...extra,
});

describe('colorEnabled', () => {
  it('uses colour only on a terminal without NO_COLOR and not dumb', () => {
    expect(colorEnabled(true, {})).toBe(true);
    expect(colorEnabled(false, {})).toBe(false);
    expect(colorEnabled(true, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(true, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled(true, { TERM: 'dumb' })).toBe(false);
  });
});

describe('plain progress (not a TTY)', () => {
  it('prints one line per change and no escape codes, even with colour asked for', () => {
    const out = sink();
    const r = new ProgressRenderer({ out, tty: false, color: true, progress: true });
    r.progress(view(0, 2000));
    r.progress(view(0, 4000));
    r.progress(view(10, 6000));
    r.progress(view(10, 8000));
    r.progress(view(40, 10_000, { notFound: 2 }));
    r.close();
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toEqual([
      '[0:02]  0/100 ready',
      '[0:06]  10/100 ready (+10)  ETA 36s',
      '[0:10]  40/100 ready (+30)  2 not found  ETA 12s',
    ]);
    expect(out.text()).not.toContain('\x1b');
  });

  it('says it is still waiting after a quiet period, so a CI log never looks hung', () => {
    const out = sink();
    const r = new ProgressRenderer({ out, tty: false, color: false, progress: true, quietPeriodMs: 30_000 });
    r.progress(view(5, 1000));
    r.progress(view(5, 20_000));
    r.progress(view(5, 31_000));
    expect(out.text()).toBe('[0:01]  5/100 ready\n[0:31]  5/100 ready  still waiting\n');
  });

  it('prints nothing with progress off', () => {
    const out = sink();
    const r = new ProgressRenderer({ out, tty: false, color: false, progress: false });
    r.progress(view(5, 1000));
    r.tick(2000);
    r.close();
    expect(out.text()).toBe('');
  });
});

describe('TTY progress bar', () => {
  it('redraws one line with ready/total, elapsed and ETA, and clears it at the end', () => {
    const out = sink();
    const r = new ProgressRenderer({ out, tty: true, color: false, columns: 100, progress: true });
    r.progress(view(0, 1000));
    r.progress(view(50, 11_000, { target: 90 }));
    r.tick(12_000);
    r.log('a message');
    r.close();
    const text = out.text();
    expect(text.startsWith('\r\x1b[2K')).toBe(true);
    expect(text).toContain('50/100 ready · need 90 · 0:11 · ETA 8.0s');
    expect(text).toContain('0:12');
    expect(text).toContain('\r\x1b[2Ka message\n');
    expect(text.endsWith('\r\x1b[2K')).toBe(true);
  });

  it('fits the bar into the terminal width', () => {
    for (const columns of [40, 60, 80, 200]) {
      const r = new ProgressRenderer({ out: sink(), tty: true, color: true, columns, progress: true });
      r.progress(view(0, 1000));
      const line = stripAnsi(r.barLine(view(37, 9000, { notFound: 3 }), 9000));
      expect(line.length).toBeLessThanOrEqual(Math.max(columns, 70));
      expect(line).toMatch(/^[█░]+ 37\/100 ready · 3 not found · 0:09 · ETA/);
    }
  });
});

describe('renderOutcome', () => {
  const style = makeStyle(false);
  const now = Date.parse('2025-01-01T00:10:00Z');
  const base: WaitOutcome = {
    kind: 'timeout',
    total: 4,
    ready: 2,
    target: 4,
    elapsedMs: 600_000,
    rounds: 31,
    apiCalls: 40,
    throttledCalls: 2,
    stragglers: [
      {
        instanceId: 'i-slow',
        reason: 'agent-offline',
        online: false,
        version: '2.2.3.189',
        lastHeartbeatTime: '2025-01-01T00:06:00Z',
      },
      { instanceId: 'i-gone', reason: 'not-found' },
    ],
  };

  it('lists the stragglers with their reasons on a timeout', () => {
    expect(renderOutcome(base, style, now)).toBe(
      [
        '✖ Timed out after 10m00s: 2/4 ready (31 rounds, 40 API calls, 2 throttled).',
        '',
        'Not ready: 2',
        'INSTANCE  REASON         AGENT    VERSION    LAST HEARTBEAT',
        'i-slow    agent-offline  offline  2.2.3.189  4m00s ago',
        'i-gone    not-found      -        -          never',
      ].join('\n'),
    );
  });

  it('summarises success, a quorum, an abort and an error in one line', () => {
    expect(renderOutcome({ ...base, kind: 'ready', ready: 4, stragglers: [] }, style, now)).toBe(
      '✔ All 4 instances ready in 10m00s (31 rounds, 40 API calls, 2 throttled).',
    );
    expect(renderOutcome({ ...base, kind: 'ready', ready: 3, target: 3 }, style, now)).toMatch(
      /^✔ Quorum met: 3\/4 ready \(needed 3\)[\s\S]*Not ready \(tolerated by --min-ready\): 2/,
    );
    expect(renderOutcome({ ...base, kind: 'aborted', stragglers: [] }, style, now)).toMatch(
      /^■ Aborted after 10m00s/,
    );
    expect(renderOutcome({ ...base, kind: 'quorum-unreachable' }, style, now)).toMatch(
      /^✖ Quorum unreachable/,
    );
  });

  it('caps the table at 50 rows and points at --json for the rest', () => {
    const stragglers = Array.from({ length: 120 }, (_, i) => ({
      instanceId: `i-${i}`,
      reason: 'agent-offline',
    }));
    const text = renderOutcome({ ...base, stragglers }, style, now);
    expect(text).toContain('i-49 ');
    expect(text).not.toContain('i-50 ');
    expect(text).toContain('… and 70 more; --json lists them all.');
  });
});

describe('renderStatusTable', () => {
  it('shows agent status, version, heartbeat age, Session Manager support and OS', () => {
    const now = Date.parse('2025-01-01T00:10:00Z');
    const text = renderStatusTable(
      [
        {
          instanceId: 'i-a',
          found: true,
          online: true,
          version: '2.2.3.189',
          lastHeartbeatTime: '2025-01-01T00:09:30Z',
          supportSessionManager: true,
          osType: 'Linux',
        },
        { instanceId: 'i-b', found: true, online: false, version: '', supportSessionManager: false },
        { instanceId: 'i-c', found: false },
      ],
      makeStyle(false),
      now,
    );
    expect(text).toBe(
      [
        'INSTANCE  AGENT      VERSION    HEARTBEAT  SESSION MANAGER  OS',
        'i-a       online     2.2.3.189  30s ago    yes              Linux',
        'i-b       offline    -          never      no               -',
        'i-c       not found  -          -          -                -',
        '1/3 online, 1 not found.',
      ].join('\n'),
    );
  });

  it('shows heartbeats from a clock that runs ahead as "just now"', () => {
    expect(heartbeatAge('2030-01-01T00:00:00Z', Date.parse('2025-01-01T00:00:00Z'))).toBe('just now');
    expect(heartbeatAge('garbage', 0)).toBe('unknown');
  });
});
