// The run report: one self-contained HTML file (inline SVG, inline CSS, no scripts) with
// the loss and accuracy curves of every optimizer, the summary table and the memory
// breakdown.
import { escapeXml, lineChart, stackedBars, type Series } from './svg';

export interface ReportEpoch {
  epoch: number; loss: number; trainAccuracy: number; heldOutLoss: number; heldOutAccuracy: number; seconds: number;
  /** Share of the known-wrong training labels the model reproduces. */
  memorized?: number;
}

export interface ReportRun {
  /** fsam, sam, sgd or adamw. */
  optimizer: string;
  settings: Record<string, unknown>;
  before: { loss: number; accuracy: number };
  after: { loss: number; accuracy: number };
  history: ReportEpoch[];
  memory: {
    parameters: number;
    /** Optimizer state slabs (the arena), bytes per kind. */
    stateBytesPerKind: Record<string, number>;
    stateBytes: number;
    /** The model's weights and, at peak, its gradients (tfjs tensors, outside the arena). */
    weightBytes: number;
    gradientBytes: number;
  };
  seconds: number;
}

export interface ReportData {
  title: string;
  command: string;
  /** Lines describing the task and the data. */
  task: string[];
  runs: ReportRun[];
  budgetBytes?: number;
  /** The run's configuration (seed, epochs, data, model, hyperparameters, versions), as rows. */
  configuration?: [string, string][];
  createdAt: string;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
/** What each kind of optimizer state is called in reports. */
export const KIND_NAMES: Record<string, string> = {
  ema: 'm (F-SAM EMA)', wold: 'w_old copy', momentum: 'momentum', adam_m: 'Adam m₁', adam_v: 'Adam v',
  ema_bf16: 'm (bf16)', momentum_bf16: 'momentum (bf16)', grad: 'g (first gradient)', grad2: 'g₂ (micro-batch sums)', weights: 'weights',
};
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(2)} MiB`;
}

export function renderReport(d: ReportData): string {
  const curve = (pick: (e: ReportEpoch) => number, withBefore?: (r: ReportRun) => number): Series[] =>
    d.runs.map((r) => ({
      name: r.optimizer,
      points: [...(withBefore ? [[0, withBefore(r)] as [number, number]] : []), ...r.history.map((e) => [e.epoch, pick(e)] as [number, number])],
    }));
  const pctFmt = (v: number) => `${Math.round(v * 100)}%`;
  const charts = [
    lineChart({ title: 'Training loss (noisy labels)', xLabel: 'epoch', yLabel: 'cross-entropy', series: curve((e) => e.loss) }),
    lineChart({ title: 'Held-out loss (clean labels)', xLabel: 'epoch (0 = before)', yLabel: 'cross-entropy', series: curve((e) => e.heldOutLoss, (r) => r.before.loss) }),
    lineChart({ title: 'Held-out accuracy (clean labels)', xLabel: 'epoch (0 = before)', yLabel: 'accuracy', yMin: 0, yMax: 1, yFormat: pctFmt, series: curve((e) => e.heldOutAccuracy, (r) => r.before.accuracy) }),
    lineChart({ title: 'Training accuracy (on the given labels)', xLabel: 'epoch', yLabel: 'accuracy', yMin: 0, yMax: 1, yFormat: pctFmt, series: curve((e) => e.trainAccuracy) }),
  ];
  if (d.runs.some((r) => r.history.some((e) => e.memorized !== undefined))) {
    charts.push(lineChart({ title: 'Wrong training labels learned', xLabel: 'epoch', yLabel: 'share of the noisy labels', yMin: 0, yMax: 1, yFormat: pctFmt, series: curve((e) => e.memorized ?? NaN) }));
  }
  const memory = stackedBars({
    title: 'Memory: weights, gradients and optimizer state',
    format: formatBytes,
    rows: d.runs.map((r) => ({
      label: r.optimizer,
      parts: [
        { name: 'weights', value: r.memory.weightBytes },
        { name: 'gradients', value: r.memory.gradientBytes },
        ...Object.entries(r.memory.stateBytesPerKind).map(([k, v]) => ({ name: KIND_NAMES[k] ?? k, value: v })),
      ],
    })),
  });
  const best = (r: ReportRun) => Math.max(...r.history.map((e) => e.heldOutAccuracy));
  const memorized = d.runs.some((r) => r.history.at(-1)?.memorized !== undefined);
  const rows = d.runs.map((r) => `<tr><td>${escapeXml(r.optimizer)}</td><td>${pct(r.before.accuracy)}</td><td><b>${pct(r.after.accuracy)}</b></td><td>${pct(best(r))}</td>` +
    `<td>${r.history.length ? r.history[r.history.length - 1].loss.toFixed(4) : 'n/a'}</td>` +
    (memorized ? `<td>${pct(r.history.at(-1)?.memorized ?? NaN)}</td>` : '') + `<td>${formatBytes(r.memory.stateBytes)}</td>` +
    `<td>${r.memory.parameters ? (r.memory.stateBytes / r.memory.parameters).toFixed(0) : '0'}</td><td>${r.seconds.toFixed(1)} s</td></tr>`).join('\n');
  const settings = d.runs.map((r) => `<tr><td>${escapeXml(r.optimizer)}</td><td class="text"><code>${escapeXml(Object.entries(r.settings).map(([k, v]) => `${k}=${v}`).join(' '))}</code></td></tr>`).join('\n');
  const epochs = d.runs.map((r) => `<h3>${escapeXml(r.optimizer)}</h3><table><tr><th>epoch</th><th>loss</th><th>train acc</th><th>held-out loss</th><th>held-out acc</th><th>time</th></tr>` +
    r.history.map((e) => `<tr><td>${e.epoch}</td><td>${e.loss.toFixed(4)}</td><td>${pct(e.trainAccuracy)}</td><td>${e.heldOutLoss.toFixed(4)}</td><td>${pct(e.heldOutAccuracy)}</td><td>${e.seconds.toFixed(2)} s</td></tr>`).join('') + '</table>').join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(d.title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1180px;margin:24px auto;padding:0 16px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
td:first-child,th:first-child,td.text{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:8px}code{font-size:12px}
</style></head><body>
<h1>${escapeXml(d.title)}</h1>
<p><code>${escapeXml(d.command)}</code><br>${escapeXml(d.createdAt)}</p>
<ul>${d.task.map((t) => `<li>${escapeXml(t)}</li>`).join('')}</ul>
<h2>Summary</h2>
<table><tr><th>optimizer</th><th>held-out before</th><th>held-out after</th><th>best epoch</th><th>final train loss</th>${memorized ? '<th>wrong labels learned</th>' : ''}<th>optimizer state</th><th>state bytes / parameter</th><th>time</th></tr>
${rows}</table>
<h2>Curves</h2>
<div class="charts">${charts.join('\n')}</div>
<h2>Memory</h2>
<p>Optimizer state is the parameter arena, sized before training${d.budgetBytes !== undefined ? ` (budget ${formatBytes(d.budgetBytes)})` : ''}; weights and gradients are tfjs tensors (gradients at their peak: two sets during a SAM-family update, one otherwise).</p>
${memory}
<h2>Settings</h2>
<table><tr><th>optimizer</th><th>hyperparameters</th></tr>${settings}</table>
${d.configuration ? `<h2>Configuration</h2>\n<table>${d.configuration.map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td class="text"><code>${escapeXml(v)}</code></td></tr>`).join('\n')}</table>` : ''}
<h2>Per epoch</h2>
${epochs}
</body></html>
`;
}
