/**
 * A small hand-written SVG scatter plot (no dependency): API calls against per-instance detection
 * latency p95, both on log scales, one marker per schedule, the oracle as a line.
 */

export interface PlotPoint {
  readonly label: string;
  readonly x: number;
  readonly y: number;
  readonly style: 'ours-default' | 'ours' | 'baseline';
}

export interface PlotOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly points: readonly PlotPoint[];
  /** The oracle's curve, x ascending. */
  readonly line: readonly { readonly x: number; readonly y: number }[];
  readonly lineLabel: string;
  /** Piecewise-linear envelope through the baselines, drawn dashed. */
  readonly envelope?: readonly { readonly x: number; readonly y: number }[];
}

const W = 900;
const H = 560;
const M = { left: 80, right: 260, top: 50, bottom: 60 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const n = (v: number) => v.toFixed(1);

/** 1, 2, 5 × 10^k ticks between 10^lo and 10^hi. */
function logTicks(lo: number, hi: number): { value: number; major: boolean }[] {
  const ticks: { value: number; major: boolean }[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const m of [1, 2, 5]) {
      const value = m * 10 ** e;
      if (value <= 10 ** hi) ticks.push({ value, major: m === 1 });
    }
  }
  return ticks;
}

const label = (v: number) => (v >= 1 ? v.toLocaleString('en-US') : String(Number(v.toPrecision(2))));

export function scatterSvg(o: PlotOptions): string {
  const xs = [...o.points.map((p) => p.x), ...o.line.map((p) => p.x)].filter((x) => x > 0);
  const ys = [...o.points.map((p) => p.y), ...o.line.map((p) => p.y)].filter((y) => y > 0);
  const xLo = Math.floor(Math.log10(Math.min(...xs)));
  const xHi = Math.ceil(Math.log10(Math.max(...xs)));
  const yLo = Math.floor(Math.log10(Math.min(...ys)));
  const yHi = Math.ceil(Math.log10(Math.max(...ys)));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number) => M.left + ((Math.log10(Math.max(x, 10 ** xLo)) - xLo) / (xHi - xLo)) * pw;
  const sy = (y: number) => M.top + ph - ((Math.log10(Math.max(y, 10 ** yLo)) - yLo) / (yHi - yLo)) * ph;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="title" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<title id="title">${esc(o.title)}: ${esc(o.yLabel)} against ${esc(o.xLabel)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="28" font-size="16" font-weight="bold">${esc(o.title)}</text>`,
  );
  for (const t of logTicks(xLo, xHi)) {
    const x = n(sx(t.value));
    out.push(
      `<line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + ph}" stroke="${t.major ? '#ddd' : '#f2f2f2'}"/>`,
    );
    out.push(`<text x="${x}" y="${M.top + ph + 18}" text-anchor="middle">${label(t.value)}</text>`);
  }
  for (const t of logTicks(yLo, yHi)) {
    const y = n(sy(t.value));
    out.push(
      `<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="${t.major ? '#ddd' : '#f2f2f2'}"/>`,
    );
    out.push(`<text x="${M.left - 8}" y="${n(sy(t.value) + 4)}" text-anchor="end">${label(t.value)}</text>`);
  }
  out.push(
    `<line x1="${M.left}" y1="${M.top + ph}" x2="${M.left + pw}" y2="${M.top + ph}" stroke="black"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + ph}" stroke="black"/>`,
    `<text x="${M.left + pw / 2}" y="${H - 15}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(20 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  const path = (pts: readonly { x: number; y: number }[]) =>
    pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${n(sx(p.x))},${n(sy(p.y))}`).join(' ');
  if (o.envelope && o.envelope.length > 1) {
    out.push(`<path d="${path(o.envelope)}" fill="none" stroke="#999" stroke-dasharray="6 4"/>`);
  }
  out.push(`<path d="${path(o.line)}" fill="none" stroke="#2a9d8f" stroke-width="2"/>`);
  const colour = { 'ours-default': '#d62828', ours: '#f77f00', baseline: '#1d3557' } as const;
  o.points.forEach((p, i) => {
    const x = sx(p.x);
    const y = sy(p.y);
    const c = colour[p.style];
    out.push(
      p.style === 'baseline'
        ? `<rect x="${n(x - 5)}" y="${n(y - 5)}" width="10" height="10" fill="${c}"/>`
        : `<circle cx="${n(x)}" cy="${n(y)}" r="${p.style === 'ours-default' ? 7 : 5}" fill="${c}"/>`,
      `<text x="${n(x + 9)}" y="${n(y - 6)}" font-size="11">${i + 1}</text>`,
    );
  });
  // Legend: numbered labels on the right.
  let ly = M.top + 6;
  const lx = M.left + pw + 16;
  out.push(
    `<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="#2a9d8f" stroke-width="2"/>`,
    `<text x="${lx + 28}" y="${ly + 4}">${esc(o.lineLabel)}</text>`,
  );
  if (o.envelope) {
    ly += 18;
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="#999" stroke-dasharray="6 4"/>`,
      `<text x="${lx + 28}" y="${ly + 4}">line through the other schedules</text>`,
    );
  }
  o.points.forEach((p, i) => {
    ly += 18;
    const c = colour[p.style];
    out.push(
      p.style === 'baseline'
        ? `<rect x="${lx + 6}" y="${ly - 5}" width="10" height="10" fill="${c}"/>`
        : `<circle cx="${lx + 11}" cy="${ly}" r="5" fill="${c}"/>`,
      `<text x="${lx + 28}" y="${ly + 4}" font-size="11">${i + 1}. ${esc(p.label)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
