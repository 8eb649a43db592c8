// The live chart: loss and held-out accuracy per epoch (epoch 0: before training), drawn
// by the SVG line charts of the CLI's report.html (src/report/svg.ts).
import { lineChart } from '../../report/svg';
import type { EpochRecord, Evaluation } from '../common/protocol';

const pct = (v: number) => `${Math.round(v * 100)}%`;

export function chartSvg(before: Evaluation | null, history: EpochRecord[]): string {
  const start = before ? [[0, before.loss] as [number, number]] : [];
  const loss = lineChart({
    title: 'Loss', xLabel: 'epoch (0 = before)', yLabel: 'cross-entropy', width: 340, height: 230, legendBelow: true,
    series: [
      { name: 'training', points: history.map((e) => [e.epoch, e.loss]) },
      { name: 'held out', points: [...start, ...history.map((e) => [e.epoch, e.heldOutLoss] as [number, number])] },
    ],
  });
  const accuracy = lineChart({
    title: 'Held-out accuracy', xLabel: 'epoch (0 = before)', yLabel: 'accuracy', width: 340, height: 230, legendBelow: true, yMin: 0, yMax: 1, yFormat: pct,
    series: [
      { name: 'held out', points: [...(before ? [[0, before.accuracy] as [number, number]] : []), ...history.map((e) => [e.epoch, e.heldOutAccuracy] as [number, number])], color: '#2ca02c' },
      ...(history.some((e) => e.memorized !== undefined) ? [{ name: 'wrong labels learned', points: history.map((e) => [e.epoch, e.memorized ?? NaN] as [number, number]), color: '#d62728', dashed: true }] : []),
    ],
  });
  return loss + accuracy;
}
