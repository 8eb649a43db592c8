// Small, dependency-free SVG charts for the HTML report: line charts with axes and a
// legend, and horizontal stacked bars. Every value is escaped; nothing is fetched.

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f'];

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));
}

export interface Series { name: string; points: [number, number][]; color?: string; dashed?: boolean }

/** "Nice" tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) { hi = lo + 1; }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** `legendBelow`: the legend in a row under the chart (for narrow screens), not in a column to its right. */
export function lineChart(o: { title: string; xLabel: string; yLabel: string; series: Series[]; width?: number; height?: number; yMin?: number; yMax?: number; yFormat?: (v: number) => string; legendBelow?: boolean }): string {
  const W = o.width ?? 560, H0 = o.height ?? 320;
  const H = o.legendBelow ? H0 + 20 : H0;
  const m = o.legendBelow ? { l: 52, r: 14, t: 30, b: 64 } : { l: 60, r: 150, t: 30, b: 44 };
  const pts = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  let x0 = Math.min(...xs, 0), x1 = Math.max(...xs, 1);
  let y0 = o.yMin ?? Math.min(...ys), y1 = o.yMax ?? Math.max(...ys);
  if (!Number.isFinite(y0) || !Number.isFinite(y1)) { y0 = 0; y1 = 1; }
  if (y1 <= y0) { y1 = y0 + 1; }
  if (x1 <= x0) x1 = x0 + 1;
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => m.t + ph - ((y - y0) / (y1 - y0)) * ph;
  const fy = o.yFormat ?? ((v: number) => String(Number(v.toPrecision(3))));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(o.title)}" font-family="sans-serif" font-size="11">`);
  parts.push(`<text x="${W / 2 - m.r / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(o.title)}</text>`);
  for (const t of ticks(y0, y1)) {
    if (t < y0 - 1e-12 || t > y1 + 1e-12) continue;
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.l - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${escapeXml(fy(t))}</text>`);
  }
  for (const t of ticks(x0, x1, Math.min(10, Math.max(1, Math.round(x1 - x0))))) {
    if (t < x0 || t > x1 || !Number.isInteger(t)) continue;
    parts.push(`<text x="${sx(t).toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${o.legendBelow ? m.t + ph + 34 : H - 8}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`);
  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const good = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (good.length > 0) {
      const d = good.map(([x, y], k) => `${k ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(Math.min(y1, Math.max(y0, y))).toFixed(1)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
      for (const [x, y] of good) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(Math.min(y1, Math.max(y0, y))).toFixed(1)}" r="2.5" fill="${color}"><title>${escapeXml(`${s.name}: ${x}, ${fy(y)}`)}</title></circle>`);
    }
    // The legend: a column right of the plot, or a row under it.
    const [lx, ly] = o.legendBelow ? [m.l + i * Math.floor(pw / Math.max(1, o.series.length)), H - 10] : [m.l + pw + 12, m.t + 10 + i * 18];
    parts.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    parts.push(`<text x="${lx + 28}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export interface BarRow { label: string; parts: { name: string; value: number }[] }

/** Horizontal stacked bars, one row per label, a legend for the part names. */
export function stackedBars(o: { title: string; rows: BarRow[]; format: (v: number) => string; width?: number }): string {
  const W = o.width ?? 560;
  const names = [...new Set(o.rows.flatMap((r) => r.parts.map((p) => p.name)))];
  const color = (n: string) => PALETTE[names.indexOf(n) % PALETTE.length];
  const m = { l: 90, r: 90, t: 30 };
  const barH = 22, gap = 10;
  const legendY = m.t + o.rows.length * (barH + gap) + 8;
  const H = legendY + Math.ceil(names.length / 4) * 18 + 10;
  const max = Math.max(1, ...o.rows.map((r) => r.parts.reduce((s, p) => s + p.value, 0)));
  const pw = W - m.l - m.r;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(o.title)}" font-family="sans-serif" font-size="11">`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(o.title)}</text>`];
  o.rows.forEach((r, i) => {
    const y = m.t + i * (barH + gap);
    out.push(`<text x="${m.l - 6}" y="${y + barH / 2 + 4}" text-anchor="end">${escapeXml(r.label)}</text>`);
    let x = m.l;
    for (const p of r.parts) {
      const w = (p.value / max) * pw;
      out.push(`<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color(p.name)}"><title>${escapeXml(`${r.label} · ${p.name}: ${o.format(p.value)}`)}</title></rect>`);
      x += w;
    }
    out.push(`<text x="${(x + 6).toFixed(1)}" y="${y + barH / 2 + 4}">${escapeXml(o.format(r.parts.reduce((s, p) => s + p.value, 0)))}</text>`);
  });
  names.forEach((n, k) => {
    const x = m.l + (k % 4) * 110, y = legendY + Math.floor(k / 4) * 18;
    out.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${color(n)}"/><text x="${x + 16}" y="${y + 10}">${escapeXml(n)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
