import { describe, expect, it } from 'vitest';
import { describeAttemptError, ProgressRenderer, type ProgressView } from '../src/cli/progress.js';
import {
  colorEnabled,
  heartbeatAge,
  makeStyle,
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
  it('prints one line per change and no escape codes, even with colour asked for; no ETA', () => {
    const out = sink();
    const r = new ProgressRenderer({ out, tty: false, color: true, progress: true, timeoutMs: 60_000 });
    r.progress(view(0, 2000));
    r.progress(view(0, 4000));
    r.progress(view(10, 6000));
    r.progress(view(10, 8000));
    r.progress(view(40, 10_000, { notFound: 2 }));
    r.close();
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toEqual([
      '[0:02]  0/100 ready',
      '[0:06]  10/100 ready (+10)',
      '[0:10]  40/100 ready (+30)  2 not found',
    ]);
    expect(out.text()).not.toContain('\x1b');
    expect(out.text()).not.toContain('ETA');
  });

  it('says it is still waiting after a quiet period, so a CI log never looks hung', () => {
    const out = sink();
    const r = new ProgressRenderer({ out, tty: false, color: false, progress: true, quietPeriodMs: 30_000 });
    r.progress(view(5, 1000));
    r.progress(view(5, 20_000));
    r.progress(view(5, 31_000));
    expect(out.text()).toBe('[0:01]  5/100 ready\n[0:31]  5/100 ready  still waiting\n');
  });

  it('shows the last error with its cause code and the endpoint, one line per new error at most every 5 s', () => {
    const out = sink();
    const r = new ProgressRenderer({
      out,
      tty: false,
      color: false,
      progress: true,
      endpoint: 'http://127.0.0.1:1',
    });
    r.start(100, 100);
    const refused = { code: 'ECS_NETWORK_ERROR', causeCode: 'ECONNREFUSED' };
    r.attempt(refused, 300);
    r.attempt(refused, 700); // the same error: no new line
    r.attempt({ code: 'ServiceUnavailable', statusCode: 503 }, 1_000); // new, but too soon
    r.progress(view(0, 2_000)); // counts unchanged since the last line: nothing
    r.attempt({ code: 'ECS_TIMEOUT', durationMs: 10_000 }, 6_000);
    r.attempt({}, 7_000); // a success clears it
    r.progress(view(3, 8_000));
    expect(out.text().trimEnd().split('\n')).toEqual([
      '[0:00]  0/100 ready  last error: ECS_NETWORK_ERROR (ECONNREFUSED) from http://127.0.0.1:1',
      '[0:06]  0/100 ready  last error: ECS_TIMEOUT (no answer in 10s) from http://127.0.0.1:1',
      '[0:08]  3/100 ready (+3)',
    ]);
    expect(r.lastError).toBeUndefined();
  });

  it('with several regions, names each error’s endpoint, and an answer from one region does not hide another’s failure', () => {
    const out = sink();
    const r = new ProgressRenderer({ out, tty: false, color: false, progress: true, errorLineEveryMs: 0 });
    r.start(100, 100);
    const hz = 'https://ecs.cn-hangzhou.aliyuncs.com';
    const bj = 'https://ecs.cn-beijing.aliyuncs.com';
    r.attempt({ code: 'ECS_NETWORK_ERROR', causeCode: 'ECONNRESET', endpoint: bj }, 1_000);
    r.attempt({ endpoint: hz }, 1_500); // Hangzhou answers: Beijing's error stays
    expect([r.lastError, r.lastErrorFrom]).toEqual(['ECS_NETWORK_ERROR (ECONNRESET)', bj]);
    r.attempt({ code: 'ServiceUnavailable', statusCode: 503, endpoint: hz }, 2_000);
    expect([r.lastError, r.lastErrorFrom]).toEqual(['ServiceUnavailable (HTTP 503)', hz]);
    r.attempt({ endpoint: hz }, 2_500); // Hangzhou recovers: Beijing's is the last one left
    expect([r.lastError, r.lastErrorFrom]).toEqual(['ECS_NETWORK_ERROR (ECONNRESET)', bj]);
    r.attempt({ endpoint: bj }, 3_000);
    expect(r.lastError).toBeUndefined();
    expect(out.text().trimEnd().split('\n')).toEqual([
      `[0:01]  0/100 ready  last error: ECS_NETWORK_ERROR (ECONNRESET) from ${bj}`,
      `[0:02]  0/100 ready  last error: ServiceUnavailable (HTTP 503) from ${hz}`,
      `[0:02]  0/100 ready  last error: ECS_NETWORK_ERROR (ECONNRESET) from ${bj}`,
    ]);
  });

  it('never lets a code from the network put a control character on the terminal', () => {
    expect(describeAttemptError({ code: 'Bad\x1b]0;title\x07Code', statusCode: 400 })).toBe(
      'Bad\\u001b]0;title\\u0007Code (HTTP 400)',
    );
  });

  it('prints nothing with progress off', () => {
    const out = sink();
    const r = new ProgressRenderer({ out, tty: false, color: false, progress: false });
    r.progress(view(5, 1000));
    r.attempt({ code: 'ECS_NETWORK_ERROR' }, 1500);
    r.tick(2000);
    r.close();
    expect(out.text()).toBe('');
  });
});

describe('TTY progress bar', () => {
  it('redraws one line with ready/total, elapsed and time left, and clears it at the end', () => {
    const out = sink();
    const r = new ProgressRenderer({
      out,
      tty: true,
      color: false,
      columns: 100,
      progress: true,
      timeoutMs: 120_000,
    });
    r.start(100, 90);
    expect(out.text()).toContain('0/100 ready · need 90 · 0:00 · 2m00s left');
    r.progress(view(50, 11_000, { target: 90 }));
    r.tick(12_000);
    r.log('a message');
    r.close();
    const text = out.text();
    expect(text.startsWith('\r\x1b[2K')).toBe(true);
    expect(text).toContain('50/100 ready · need 90 · 0:11 · 1m49s left');
    expect(text).toContain('0:12 · 1m48s left');
    expect(text).toContain('\r\x1b[2Ka message\n');
    expect(text.endsWith('\r\x1b[2K')).toBe(true);
    expect(text).not.toContain('ETA');
  });

  it('never draws a line as wide as the terminal, at any width, whatever the tail holds', () => {
    for (let columns = 8; columns <= 200; columns++) {
      const r = new ProgressRenderer({
        out: sink(),
        tty: true,
        color: true,
        columns,
        progress: true,
        timeoutMs: 600_000,
        endpoint: 'https://ecs.cn-hangzhou.aliyuncs.com',
      });
      r.start(1000, 990);
      r.attempt({ code: 'ECS_NETWORK_ERROR', causeCode: 'ECONNREFUSED' }, 5000);
      const line = stripAnsi(r.barLine(view(370, 9000, { total: 1000, target: 990, notFound: 3 }), 9000));
      // Room for the cursor and a ^C echo: the line never reaches the last two columns.
      expect(line.length, `${columns} columns: ${line}`).toBeLessThanOrEqual(Math.max(1, columns - 3));
      if (columns >= 18) expect(line, `${columns} columns`).toContain('370/1000');
      if (columns >= 200) {
        expect(line).toMatch(
          /^[█░]{10,40} 370\/1000 ready · need 990 · 3 not found · last error: ECS_NETWORK_ERROR \(ECONNREFUSED\) from https:\/\/ecs\.cn-hangzhou\.aliyuncs\.com · 0:09 · 9m51s left$/,
        );
      }
    }
  });

  it('drops the least useful parts first: time left, then elapsed, before the error and the count', () => {
    const r = new ProgressRenderer({
      out: sink(),
      tty: true,
      color: false,
      columns: 50,
      progress: true,
      timeoutMs: 600_000,
    });
    r.start(100, 100);
    r.attempt({ code: 'ECS_NETWORK_ERROR', causeCode: 'ECONNREFUSED' }, 1000);
    const line = r.barLine(view(3, 9000), 9000);
    expect(line).toMatch(/^[█░]{10,} 3\/100 ready · /);
    expect(line).toMatch(/ECS_NETWORK_ERROR|ECONNREFUSED/);
    expect(line).not.toContain('left');
    expect(line.length).toBeLessThan(50);
  });

  it('reads the width at every redraw and erases the rows a narrower terminal wrapped the old line into', () => {
    const out = sink();
    let columns = 120;
    const r = new ProgressRenderer({
      out,
      tty: true,
      color: false,
      columns: () => columns,
      progress: true,
      timeoutMs: 600_000,
    });
    r.start(100, 100);
    r.progress(view(10, 2000));
    const wide = stripAnsi(out.chunks.at(-1)!.replace(/^\r\x1b\[2K/, ''));
    expect(wide.length).toBeGreaterThan(50);
    columns = 40;
    r.tick(3000);
    const narrow = out.chunks.at(-1)!;
    // The old line took two rows at 40 columns: up one row, clear to the end of the screen.
    expect(narrow.startsWith(`\r\x1b[${Math.ceil(wide.length / 40) - 1}A\x1b[J`)).toBe(true);
    expect(stripAnsi(narrow.replace(/^\r\x1b\[\d+A\x1b\[J/, '')).length).toBeLessThanOrEqual(37);
    r.tick(4000);
    expect(out.chunks.at(-1)!.startsWith('\r\x1b[2K')).toBe(true);
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
