// The batch-size sweep as a small hand-written SVG: drain throughput against BATCH_SIZE (log
// scale), with the ceilings of the same run as dashed lines for reference.

export interface ChartPoint {
  batchSize: number;
  cdrPerSec: number;
}

export interface ChartLine {
  label: string;
  value: number;
}

const W = 640;
const H = 360;
const LEFT = 70;
const RIGHT = 20;
const TOP = 40;
const BOTTOM = 50;

export function throughputChart(title: string, points: readonly ChartPoint[], lines: readonly ChartLine[]): string {
  const sizes = points.map((p) => p.batchSize);
  const xMin = Math.log10(Math.min(...sizes));
  const xMax = Math.log10(Math.max(...sizes));
  const yTop = niceCeiling(Math.max(...points.map((p) => p.cdrPerSec), ...lines.map((l) => l.value)) * 1.08);
  // Points sit 30 px inside the axes, so their labels are never cut at the edges.
  const x = (size: number): number => LEFT + 30 + ((Math.log10(size) - xMin) / (xMax - xMin || 1)) * (W - LEFT - RIGHT - 60);
  const y = (v: number): number => TOP + (1 - v / yTop) * (H - TOP - BOTTOM);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escape(title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yTop * i) / 5;
    out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v).toLocaleString('en-US')}</text>`);
  }
  for (const s of sizes) {
    out.push(`<line x1="${x(s)}" x2="${x(s)}" y1="${H - BOTTOM}" y2="${H - BOTTOM + 5}" stroke="#333"/>`);
    out.push(`<text x="${x(s)}" y="${H - BOTTOM + 18}" text-anchor="middle">${s}</text>`);
  }
  out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${H - BOTTOM}" y2="${H - BOTTOM}" stroke="#333"/>`);
  out.push(`<line x1="${LEFT}" x2="${LEFT}" y1="${TOP}" y2="${H - BOTTOM}" stroke="#333"/>`);
  out.push(`<text x="${(LEFT + W - RIGHT) / 2}" y="${H - 12}" text-anchor="middle">BATCH_SIZE (CDRs per batch, log scale)</text>`);
  out.push(`<text x="16" y="${(TOP + H - BOTTOM) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(TOP + H - BOTTOM) / 2})">CDR/s</text>`);
  const colours = ['#c0392b', '#7f8c8d', '#27ae60'];
  lines.forEach((l, i) => {
    const colour = colours[i % colours.length]!;
    out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(l.value)}" y2="${y(l.value)}" stroke="${colour}" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${W - RIGHT - 4}" y="${y(l.value) - 5}" text-anchor="end" fill="${colour}">${escape(l.label)} ${Math.round(l.value).toLocaleString('en-US')}</text>`);
  });
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.batchSize).toFixed(1)},${y(p.cdrPerSec).toFixed(1)}`).join(' ');
  out.push(`<path d="${path}" fill="none" stroke="#2471a3" stroke-width="2"/>`);
  for (const p of points) {
    out.push(`<circle cx="${x(p.batchSize).toFixed(1)}" cy="${y(p.cdrPerSec).toFixed(1)}" r="4" fill="#2471a3"/>`);
    out.push(`<text x="${x(p.batchSize).toFixed(1)}" y="${(y(p.cdrPerSec) - 9).toFixed(1)}" text-anchor="middle" fill="#2471a3">${Math.round(p.cdrPerSec).toLocaleString('en-US')}</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** A round number at least `v` (a few steps per power of ten), for the top of the axis. */
function niceCeiling(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
