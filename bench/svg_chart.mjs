// Tiny SVG charts for the benchmark results, no dependency: a line chart (optionally
// log-log) and a grouped bar chart. Plain SVG 1.1 text, readable on GitHub.
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(0) : +v.toPrecision(3)).toString();

function ticks(lo, hi, log) {
  if (log) {
    const out = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
    return out;
  }
  const span = hi - lo || 1, step = 10 ** Math.floor(Math.log10(span / 5));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 6) ?? step * 10;
  const out = [];
  for (let t = Math.ceil(lo / nice) * nice; t <= hi + 1e-9 * span; t += nice) out.push(+t.toPrecision(12));
  return out;
}

function frame({ title, xLabel, yLabel, width, height }) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    xLabel ? `<text x="${width / 2}" y="${height - 6}" text-anchor="middle">${esc(xLabel)}</text>` : '',
    yLabel ? `<text transform="translate(14 ${height / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>` : '',
  ];
}

function legend(names, x, y) {
  return names.map((n, i) => `<rect x="${x}" y="${y + i * 16 - 9}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>` +
    `<text x="${x + 14}" y="${y + i * 16}">${esc(n)}</text>`);
}

/** series: [{ name, points: [[x, y], …] }]; logX / logY for log scales. */
export function lineChart({ title, xLabel, yLabel, series, logX = false, logY = false, width = 720, height = 420 }) {
  const L = 70, R = 200, T = 34, B = 44;
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  if (!logY) y0 = Math.min(0, y0);
  const xt = ticks(x0, x1, logX), yt = ticks(y0, y1, logY);
  if (logX) { x0 = Math.min(x0, xt[0]); x1 = Math.max(x1, xt[xt.length - 1]); }
  if (logY) { y0 = Math.min(y0, yt[0]); y1 = Math.max(y1, yt[yt.length - 1]); } else { y1 = Math.max(y1, yt[yt.length - 1]); }
  const f = (v, a, b, log) => (log ? (Math.log10(v) - Math.log10(a)) / (Math.log10(b) - Math.log10(a) || 1) : (v - a) / (b - a || 1));
  const px = (x) => L + f(x, x0, x1, logX) * (width - L - R), py = (y) => height - B - f(y, y0, y1, logY) * (height - T - B);
  const out = frame({ title, xLabel, yLabel, width, height });
  for (const t of yt) if (t >= y0 && t <= y1) out.push(`<line x1="${L}" x2="${width - R}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/><text x="${L - 4}" y="${py(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  for (const t of xt) if (t >= x0 && t <= x1) out.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${T}" y2="${height - B}" stroke="#eee"/><text x="${px(t)}" y="${height - B + 16}" text-anchor="middle">${fmt(t)}</text>`);
  out.push(`<rect x="${L}" y="${T}" width="${width - L - R}" height="${height - T - B}" fill="none" stroke="#333"/>`);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length], p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${p.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of p) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${c}"><title>${esc(s.name)}: ${fmt(x)}, ${fmt(y)}</title></circle>`);
  });
  out.push(...legend(series.map((s) => s.name), width - R + 12, T + 12), '</svg>');
  return out.join('\n') + '\n';
}

/** categories: x groups; series: [{ name, values: [one per category] }]; ref: optional horizontal line { y, label }. */
export function barChart({ title, yLabel, categories, series, ref, width = 720, height = 420 }) {
  const L = 70, R = 200, T = 34, B = 90;
  const vals = series.flatMap((s) => s.values).filter(Number.isFinite);
  const y1raw = Math.max(...vals, ref?.y ?? 0);
  const yt = ticks(0, y1raw, false), y1 = Math.max(y1raw, yt[yt.length - 1]);
  const py = (y) => height - B - (y / (y1 || 1)) * (height - T - B);
  const out = frame({ title, yLabel, width, height });
  for (const t of yt) out.push(`<line x1="${L}" x2="${width - R}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/><text x="${L - 4}" y="${py(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  const gw = (width - L - R) / categories.length, bw = (gw * 0.8) / series.length;
  categories.forEach((c, ci) => {
    const gx = L + ci * gw + gw * 0.1;
    series.forEach((s, si) => {
      const v = s.values[ci];
      if (!Number.isFinite(v)) return;
      out.push(`<rect x="${(gx + si * bw).toFixed(1)}" y="${py(v).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(height - B - py(v)).toFixed(1)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(s.name)} · ${esc(c)}: ${fmt(v)}</title></rect>`);
    });
    out.push(`<text transform="translate(${(gx + gw * 0.4).toFixed(1)} ${height - B + 12}) rotate(25)" font-size="11">${esc(c)}</text>`);
  });
  if (ref) out.push(`<line x1="${L}" x2="${width - R}" y1="${py(ref.y)}" y2="${py(ref.y)}" stroke="#000" stroke-dasharray="5 4"/><text x="${width - R - 4}" y="${py(ref.y) - 4}" text-anchor="end">${esc(ref.label)}</text>`);
  out.push(`<rect x="${L}" y="${T}" width="${width - L - R}" height="${height - T - B}" fill="none" stroke="#333"/>`);
  out.push(...legend(series.map((s) => s.name), width - R + 12, T + 12), '</svg>');
  return out.join('\n') + '\n';
}
