// SVG charts for BENCHMARKS.md, written by bench/run.mjs from the measured numbers (never by hand).
// Plain SVG 1.1 with inline styles, so GitHub and npm render them as images.
import { formatNumber } from './stats.mjs';

const FONT = 'font-family="-apple-system,Segoe UI,Helvetica,Arial,sans-serif"';
const COLORS = ['#2f6fdf', '#e07b2a', '#3a9b5c', '#b5426a', '#7a5cc4', '#777777', '#1a9aa0'];

function escape(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

function scaleFor(values, log) {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  const max = Math.max(...finite, 1e-9);
  const min = Math.min(...finite, max);
  if (!log) return { map: (v) => v / max, ticks: [] };
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max)) + (max === min ? 1 : 0);
  const span = Math.max(hi - lo, 1);
  const ticks = [];
  for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
  return { map: (v) => (Math.log10(Math.max(v, 10 ** lo)) - lo) / span, ticks };
}

// rows: [{ label, value, highlight?, note? }]; value may be Infinity or NaN (drawn as a note).
export function barChart({ title, subtitle, unit, rows, log = false }) {
  const labelWidth = 230;
  const plotWidth = 430;
  const barHeight = 22;
  const gap = 8;
  const top = subtitle ? 58 : 40;
  const height = top + rows.length * (barHeight + gap) + (log ? 34 : 16);
  const width = labelWidth + plotWidth + 150;
  const scale = scaleFor(
    rows.map((r) => r.value),
    log,
  );
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="13">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="15" font-weight="600" fill="#222">${escape(title)}</text>`,
  ];
  if (subtitle) parts.push(`<text x="12" y="44" fill="#666">${escape(subtitle)}</text>`);
  for (const tick of scale.ticks) {
    const x = labelWidth + scale.map(tick) * plotWidth;
    parts.push(
      `<line x1="${x.toFixed(1)}" y1="${top - 4}" x2="${x.toFixed(1)}" y2="${height - 28}" stroke="#e4e4e4"/>`,
      `<text x="${x.toFixed(1)}" y="${height - 12}" text-anchor="middle" fill="#888" font-size="11">${escape(formatNumber(tick))}</text>`,
    );
  }
  rows.forEach((row, i) => {
    const y = top + i * (barHeight + gap);
    const color = row.highlight ? COLORS[0] : '#9aa5b1';
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end" fill="#222"${row.highlight ? ' font-weight="600"' : ''}>${escape(row.label)}</text>`,
    );
    if (Number.isFinite(row.value)) {
      const w = Math.max(scale.map(row.value) * plotWidth, 2);
      parts.push(
        `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${color}" rx="2"/>`,
        `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 15}" fill="#333">${escape(formatNumber(row.value))} ${escape(unit)}${row.note ? ` (${escape(row.note)})` : ''}</text>`,
      );
    } else {
      parts.push(`<text x="${labelWidth + 4}" y="${y + 15}" fill="#b00">${escape(row.note ?? 'no result')}</text>`);
    }
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

// series: [{ label, points: [[x, y], ...], highlight? }]
export function lineChart({ title, subtitle, xLabel, yLabel, series }) {
  const left = 70;
  const plotWidth = 520;
  const plotHeight = 260;
  const top = subtitle ? 60 : 42;
  const legendWidth = 190;
  const width = left + plotWidth + legendWidth;
  const height = top + plotHeight + 50;
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  // Log scale: the series span several orders of magnitude (the C floor, the peers, interlock).
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.floor(Math.log10(Math.min(...ys, 1)));
  const hi = Math.ceil(Math.log10(Math.max(...ys, 10)));
  const xAt = (x) => left + (xs.length === 1 ? plotWidth / 2 : (xs.indexOf(x) / (xs.length - 1)) * plotWidth);
  const yAt = (y) => top + plotHeight - ((Math.log10(Math.max(y, 10 ** lo)) - lo) / Math.max(hi - lo, 1)) * plotHeight;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="13">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="15" font-weight="600" fill="#222">${escape(title)}</text>`,
  ];
  if (subtitle) parts.push(`<text x="12" y="44" fill="#666">${escape(subtitle)}</text>`);
  for (let e = lo; e <= hi; e++) {
    const y = yAt(10 ** e);
    parts.push(
      `<line x1="${left}" y1="${y.toFixed(1)}" x2="${left + plotWidth}" y2="${y.toFixed(1)}" stroke="#e4e4e4"/>`,
      `<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#888" font-size="11">${escape(formatNumber(10 ** e))}</text>`,
    );
  }
  for (const x of xs) {
    parts.push(
      `<text x="${xAt(x).toFixed(1)}" y="${top + plotHeight + 18}" text-anchor="middle" fill="#888" font-size="11">${escape(x)}</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${height - 8}" text-anchor="middle" fill="#555">${escape(xLabel)}</text>`,
    `<text x="14" y="${top + plotHeight / 2}" fill="#555" transform="rotate(-90 14 ${top + plotHeight / 2})" text-anchor="middle">${escape(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const color = s.highlight ? COLORS[0] : COLORS[1 + (i % (COLORS.length - 1))];
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="${s.highlight ? 3 : 2}" points="${pts.map((p) => `${xAt(p[0]).toFixed(1)},${yAt(p[1]).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const p of pts)
      parts.push(`<circle cx="${xAt(p[0]).toFixed(1)}" cy="${yAt(p[1]).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = top + 10 + i * 20;
    parts.push(
      `<rect x="${left + plotWidth + 16}" y="${ly - 9}" width="14" height="4" fill="${color}"/>`,
      `<text x="${left + plotWidth + 36}" y="${ly - 3}" fill="#222"${s.highlight ? ' font-weight="600"' : ''}>${escape(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
