// One chart the report's line chart does not draw: values (mean ± std) at categorical x
// positions such as ρ or batch sizes, one line per optimizer.
import { escapeXml, ticks, PALETTE } from '../report/svg';

export interface CategorySeries { name: string; values: { mean: number; std: number }[] }

export function categoryChart(o: { title: string; xLabel: string; yLabel: string; categories: string[]; series: CategorySeries[]; width?: number; height?: number }): string {
  const W = o.width ?? 560, H = o.height ?? 320;
  const m = { l: 60, r: 150, t: 30, b: 44 };
  const ys = o.series.flatMap((s) => s.values.flatMap((v) => [v.mean - (v.std || 0), v.mean + (v.std || 0)])).filter(Number.isFinite);
  let y0 = ys.length ? Math.min(...ys) : 0, y1 = ys.length ? Math.max(...ys) : 1;
  if (y1 <= y0) y1 = y0 + 0.01;
  const pad = (y1 - y0) * 0.05;
  y0 -= pad; y1 += pad;
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  const nx = o.categories.length;
  const sx = (i: number) => m.l + ((i + 0.5) / nx) * pw;
  const sy = (y: number) => m.t + ph - ((y - y0) / (y1 - y0)) * ph;
  const p: string[] = [];
  p.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(o.title)}" font-family="sans-serif" font-size="11">`);
  p.push(`<text x="${W / 2 - m.r / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(o.title)}</text>`);
  for (const t of ticks(y0, y1)) {
    if (t < y0 || t > y1) continue;
    p.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    p.push(`<text x="${m.l - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${escapeXml(String(Number(t.toPrecision(3))))}</text>`);
  }
  o.categories.forEach((c, i) => p.push(`<text x="${sx(i).toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle">${escapeXml(c)}</text>`));
  p.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  p.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  p.push(`<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`);
  o.series.forEach((s, k) => {
    const color = PALETTE[k % PALETTE.length];
    const dx = (k - (o.series.length - 1) / 2) * 4; // side by side, so error bars don't overlap
    const pts = s.values.map((v, i) => ({ x: sx(i) + dx, v })).filter(({ v }) => Number.isFinite(v.mean));
    if (pts.length) p.push(`<path d="${pts.map(({ x, v }, j) => `${j ? 'L' : 'M'}${x.toFixed(1)},${sy(v.mean).toFixed(1)}`).join('')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const { x, v } of pts) {
      if (Number.isFinite(v.std)) p.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${sy(v.mean - v.std).toFixed(1)}" y2="${sy(v.mean + v.std).toFixed(1)}" stroke="${color}"/>`);
      p.push(`<circle cx="${x.toFixed(1)}" cy="${sy(v.mean).toFixed(1)}" r="3" fill="${color}"><title>${escapeXml(`${s.name}: ${v.mean.toFixed(4)} ± ${Number.isFinite(v.std) ? v.std.toFixed(4) : '–'}`)}</title></circle>`);
    }
    const ly = m.t + 10 + k * 18;
    p.push(`<line x1="${m.l + pw + 12}" x2="${m.l + pw + 32}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    p.push(`<text x="${m.l + pw + 38}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  p.push('</svg>');
  return p.join('\n');
}
