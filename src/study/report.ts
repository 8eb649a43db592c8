// The study's report from its results file: markdown tables (mean ± std over seeds,
// paired differences with 95% CIs, memorization, the ρ sweep, the perturbation batch,
// wall time) and SVG figures, written beside results.jsonl.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChart } from '../report/svg';
import { categoryChart } from './charts';
import { chooseRho, perturbRhoOf, type StudyConfig } from './plan';
import type { RunResult, OptimizerName } from './run';
import { mean, std, meanCi95 } from './stats';

const LABEL: Record<OptimizerName, string> = { sgd: 'SGD', sam: 'SAM', 'fsam0.6': 'F-SAM λ0.6', 'fsam0.95': 'F-SAM λ0.95' };
const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(2) : '–');
const pm = (xs: number[]) => (xs.length === 0 ? '–' : xs.length === 1 ? `${pct(xs[0])} (n=1)` : `${pct(mean(xs))} ± ${pct(std(xs))}`);
const last = (r: RunResult) => r.epochs[r.epochs.length - 1];
/** "mean | [lo, hi]" in percentage points: the mean of paired differences and its 95% CI. */
const ciCells = (d: number[]) => {
  const ci = meanCi95(d);
  return `${d.length ? (100 * ci.mean).toFixed(2) : '–'} | ${Number.isFinite(ci.half) ? `[${(100 * (ci.mean - ci.half)).toFixed(2)}, ${(100 * (ci.mean + ci.half)).toFixed(2)}]` : '–'}`;
};
const bestTest = (r: RunResult) => Math.max(...r.epochs.map((e) => e.test));
/** Test accuracy at the epoch of best validation accuracy (the first, on ties). */
const testAtBestVal = (r: RunResult) => r.epochs.reduce((b, e) => (e.val > b.val ? e : b)).test;

export function writeReport(c: StudyConfig, done: RunResult[], out: string, o: { quick: boolean; title?: string }): string[] {
  const written: string[] = [];
  const save = (name: string, text: string) => { writeFileSync(join(out, name), text); written.push(join(out, name)); };
  const opts: OptimizerName[] = ['sgd', ...c.sharpOptimizers];
  const rhoStar = new Map(c.sharpOptimizers.map((opt) => [opt, chooseRho(c, done, opt)]));
  /** The runs of one cell of the noise grid: SGD, or a sharp optimizer at its ρ*. */
  const cell = (opt: OptimizerName, noise: number): RunResult[] => done.filter((r) => r.optimizer === opt && r.noise === noise && r.perturbBatch === c.scale.batch
    && (opt === 'sgd' ? r.group === 'grid' : r.rho === rhoStar.get(opt)?.rho && (r.group === 'grid' || r.group === 'sweep')))
    .sort((a, b) => a.seed - b.seed);
  const md: string[] = [];
  const s = c.scale;
  md.push(`# Study results${o.quick ? ' (--quick: a pipeline check, not evidence)' : o.title ?? ''}`, '');
  md.push(`${done.length} runs. Data: the \`mnist\` package's digits, one stratified split of ${s.train} train / ${s.val} validation / ${s.test} test; symmetric noise on the training labels only. CNN: conv3×3×${s.model.conv1} → pool → conv3×3×${s.model.conv2} → pool → dense ${s.model.hidden} → 10. Every optimizer on the same base: SGD momentum ${s.momentum}, weight decay ${s.weightDecay} (PyTorch semantics), lr ${s.learningRate} with a per-step cosine schedule, batch ${s.batch}, ${s.epochs} epochs.`, '');
  const sessionsFile = join(out, 'sessions.jsonl');
  if (existsSync(sessionsFile) && done.length) {
    const sessions = readFileSync(sessionsFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const first = Math.min(...done.map((r) => Date.parse(r.finishedAt) - r.wallSeconds * 1000));
    const lastDone = Math.max(...done.map((r) => Date.parse(r.finishedAt)));
    md.push('## How it ran', '');
    for (const x of sessions) {
      md.push(`- \`${x.command}\` started ${x.startedAt} (${x.alreadyDone} runs already done) on ${x.machine.cpu}, ${x.machine.cores} cores, ${x.machine.memGiB} GiB, ${x.machine.platform}, Node ${x.machine.node}; load average at start ${x.machine.loadavgAtStart.join(' / ')}`);
    }
    md.push(`- first run started ${new Date(first).toISOString()}, last run finished ${new Date(lastDone).toISOString()}: ${((lastDone - first) / 60000).toFixed(1)} min of wall time; the runs themselves took ${(done.reduce((a, r) => a + r.wallSeconds, 0) / 60).toFixed(1)} min.`, '');
  }
  md.push('## ρ* (chosen on validation)', '');
  md.push(`Each sharp optimizer's ρ is the one of {${c.rhos.join(', ')}} with the best mean final **validation** accuracy at ${c.sweepNoise * 100}% noise over seeds ${c.seeds.join(', ')}; that ρ is then used at every noise rate. The validation labels are clean.`, '');
  if (c.rhoNote) md.push(c.rhoNote, '');
  md.push('| optimizer | ρ* | mean final val acc at ρ* | seeds |', '|---|---|---|---|');
  for (const opt of c.sharpOptimizers) {
    const r = rhoStar.get(opt);
    md.push(`| ${LABEL[opt]} | ${r?.rho ?? '–'} | ${r ? pct(r.val) : '–'} | ${r?.seeds ?? 0} |`);
  }
  md.push('');

  md.push('## Test accuracy (%) by optimizer and noise rate, mean ± std over seeds', '');
  md.push('Final: after the last epoch. Best epoch: the maximum over epochs (as papers often report; it peeks at test). At best val: test accuracy at the epoch of best validation accuracy (an honest early-stopping number).', '');
  md.push(`| optimizer | noise | n | final | best epoch | at best val |`, '|---|---|---|---|---|---|');
  for (const noise of c.noises) {
    for (const opt of opts) {
      const runs = cell(opt, noise);
      md.push(`| ${LABEL[opt]} | ${noise * 100}% | ${runs.length} | ${pm(runs.map((r) => last(r).test))} | ${pm(runs.map(bestTest))} | ${pm(runs.map(testAtBestVal))} |`);
    }
  }
  md.push('');

  md.push('## Paired differences in final test accuracy (percentage points), 95% CI', '');
  md.push('Paired by seed: a seed fixes the label noise, the initial weights and the batch order, identical for every optimizer. CI: Student t with n − 1 degrees of freedom; with a handful of seeds it is wide, and it does not include the sampling error of the one fixed 1,000-digit test split (about ±0.9 points binomial standard error on an accuracy near 90%).', '');
  const pairs: [OptimizerName, OptimizerName][] = [];
  for (const f of c.sharpOptimizers.filter((x) => x !== 'sam')) pairs.push([f, 'sam']);
  for (const x of c.sharpOptimizers) pairs.push([x, 'sgd']);
  md.push('| difference | noise | n | mean | 95% CI | wins |', '|---|---|---|---|---|---|');
  for (const [a, b] of pairs) {
    for (const noise of c.noises) {
      const A = new Map(cell(a, noise).map((r) => [r.seed, last(r).test]));
      const d = cell(b, noise).filter((r) => A.has(r.seed)).map((r) => A.get(r.seed)! - last(r).test);
      const wins = d.filter((x) => x > 0).length;
      md.push(`| ${LABEL[a]} − ${LABEL[b]} | ${noise * 100}% | ${d.length} | ${ciCells(d)} | ${wins}/${d.length} |`);
    }
  }
  md.push('');

  md.push('## Memorization: accuracy on the training set after the last epoch (%)', '');
  md.push('Against the noisy labels it was trained on (all examples), on the flipped examples against their wrong labels (memorized), and against the true labels (clean).', '');
  md.push('| optimizer | noise | noisy labels | memorized (flipped) | true labels |', '|---|---|---|---|---|');
  for (const noise of c.noises) {
    for (const opt of opts) {
      const runs = cell(opt, noise);
      md.push(`| ${LABEL[opt]} | ${noise * 100}% | ${pm(runs.map((r) => last(r).trainNoisy))} | ${noise ? pm(runs.map((r) => last(r).memorized)) : '–'} | ${pm(runs.map((r) => last(r).trainClean))} |`);
    }
  }
  md.push('');

  md.push(`## ρ sweep at ${c.sweepNoise * 100}% noise: final test (and validation) accuracy (%)`, '');
  const allRhos = [...c.probeRhos, ...c.rhos].sort((a, b) => a - b);
  if (c.probeRhos.length) md.push(`ρ ${c.probeRhos.join(', ')} (marked *) was run after ρ* had been fixed, to see whether the sweep's lower edge handicapped anyone; it did not take part in choosing ρ*.`, '');
  md.push(`| optimizer | ${allRhos.map((r) => `ρ ${r}${c.probeRhos.includes(r) ? '*' : ''}`).join(' | ')} |`, `|---|${allRhos.map(() => '---').join('|')}|`);
  const sweepRuns = (opt: OptimizerName, rho: number) => done.filter((r) => r.group === 'sweep' && r.optimizer === opt && r.rho === rho && c.seeds.includes(r.seed));
  for (const opt of c.sharpOptimizers) {
    md.push(`| ${LABEL[opt]} | ${allRhos.map((rho) => { const rs = sweepRuns(opt, rho); return rs.length ? `${pm(rs.map((r) => last(r).test))} (val ${pct(mean(rs.map((r) => last(r).val)))})` : '–'; }).join(' | ')} |`);
  }
  const sgd40 = cell('sgd', c.sweepNoise).filter((r) => c.seeds.includes(r.seed));
  md.push('', `SGD at ${c.sweepNoise * 100}% noise on the same seeds, for reference: ${pm(sgd40.map((r) => last(r).test))} (val ${pct(mean(sgd40.map((r) => last(r).val)))}).`, '');
  save('rho_sweep.svg', categoryChart({
    title: `Test accuracy vs ρ, ${c.sweepNoise * 100}% label noise`, xLabel: 'ρ', yLabel: 'final test accuracy', categories: allRhos.map(String),
    series: c.sharpOptimizers.map((opt) => ({ name: LABEL[opt], values: allRhos.map((rho) => { const xs = sweepRuns(opt, rho).map((r) => last(r).test); return { mean: mean(xs), std: std(xs) }; }) })),
  }));

  if (c.perturbBatches.length) {
  md.push(`## Perturbation batch larger than the update batch (${c.sweepNoise * 100}% noise${Object.keys(c.perturbRho).length ? ', the first sweep\'s ρ*' : ', ρ*'})`, '');
  md.push(`The first gradient — the one that sets the perturbation ε and F-SAM's m — is taken on the update's ${s.batch} examples plus other training examples, ${[s.batch, ...c.perturbBatches].join(' / ')} in all; the second gradient (at w + ε), which the update uses, on the ${s.batch} alone. The larger the perturbation batch, the more its gradient is the full-gradient component that F-SAM removes. Seeds ${c.perturbSeeds.join(', ')}.`, '');
  const pbs = [s.batch, ...c.perturbBatches];
  const pbRho = (opt: OptimizerName) => perturbRhoOf(c, done, opt);
  const pbRuns = (opt: OptimizerName, pb: number) => done.filter((r) => r.optimizer === opt && r.noise === c.sweepNoise && r.perturbBatch === pb && r.rho === pbRho(opt)
    && c.perturbSeeds.includes(r.seed) && (pb === s.batch ? r.group === 'sweep' : r.group === 'pbatch'));
  md.push(`| optimizer | ${pbs.map((b) => `batch ${b}`).join(' | ')} |`, `|---|${pbs.map(() => '---').join('|')}|`);
  for (const opt of c.perturbOptimizers) md.push(`| ${LABEL[opt]} (ρ ${pbRho(opt) ?? '–'}) | ${pbs.map((pb) => { const xs = pbRuns(opt, pb).map((r) => last(r).test); return xs.length > 1 ? `${pm(xs)} (n=${xs.length})` : pm(xs); }).join(' | ')} |`);
  md.push('');
  // Paired by seed: each optimizer's change from the update's own batch, and F-SAM's change
  // minus SAM's (positive: F-SAM loses less).
  const change = (opt: OptimizerName, pb: number): Map<number, number> => {
    const base = new Map(pbRuns(opt, s.batch).map((r) => [r.seed, last(r).test]));
    return new Map(pbRuns(opt, pb).filter((r) => base.has(r.seed)).map((r) => [r.seed, last(r).test - base.get(r.seed)!]));
  };
  md.push(`Paired by seed, in percentage points: each optimizer's change in final test accuracy from batch ${s.batch}, and F-SAM's change minus SAM's (positive: F-SAM loses less). 95% CI as above.`, '');
  md.push('| difference | perturbation batch | n | mean | 95% CI | per seed |', '|---|---|---|---|---|---|');
  const perSeed = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]).map(([, x]) => (100 * x).toFixed(1)).join(', ');
  for (const pb of c.perturbBatches) {
    for (const opt of c.perturbOptimizers) { const m = change(opt, pb); md.push(`| ${LABEL[opt]}: batch ${pb} − batch ${s.batch} | ${pb} | ${m.size} | ${ciCells([...m.values()])} | ${perSeed(m)} |`); }
    if (c.perturbOptimizers.includes('sam')) {
      const sam = change('sam', pb);
      for (const opt of c.perturbOptimizers.filter((x) => x !== 'sam')) {
        const f = change(opt, pb), d = new Map([...f].filter(([seed]) => sam.has(seed)).map(([seed, x]) => [seed, x - sam.get(seed)!]));
        md.push(`| ${LABEL[opt]}'s change − SAM's | ${pb} | ${d.size} | ${ciCells([...d.values()])} | ${perSeed(d)} |`);
      }
    }
  }
  md.push('');
  save('perturbation_batch.svg', categoryChart({
    title: `Test accuracy vs perturbation batch, ${c.sweepNoise * 100}% noise`, xLabel: `examples in the perturbation's batch (update batch ${s.batch})`, yLabel: 'final test accuracy', categories: pbs.map(String),
    series: c.perturbOptimizers.map((opt) => ({ name: LABEL[opt], values: pbs.map((pb) => { const xs = pbRuns(opt, pb).map((r) => last(r).test); return { mean: mean(xs), std: std(xs) }; }) })),
  }));
  }

  md.push('## Curves', '');
  for (const noise of c.noises) {
    const name = `curves_noise${Math.round(noise * 100)}.svg`;
    save(name, lineChart({
      title: `Test accuracy per epoch, ${noise * 100}% noise (mean over seeds)`, xLabel: 'epoch', yLabel: 'test accuracy',
      series: opts.map((opt) => {
        const runs = cell(opt, noise);
        return { name: LABEL[opt], points: Array.from({ length: s.epochs }, (_, i) => [i + 1, mean(runs.map((r) => r.epochs[i]?.test ?? NaN))] as [number, number]) };
      }),
    }));
    md.push(`![${noise * 100}% noise](${name})`);
  }
  md.push('', '![ρ sweep](rho_sweep.svg)', '');
  if (c.perturbBatches.length) md.push('![perturbation batch](perturbation_batch.svg)', '');

  md.push('## Wall time per run (s)', '');
  md.push('| runs | n | mean | min | max |', '|---|---|---|---|---|');
  const groups = new Map<string, number[]>();
  for (const r of done) {
    const k = `${LABEL[r.optimizer]}${r.perturbBatch !== s.batch ? `, perturbation batch ${r.perturbBatch}` : ''}`;
    groups.set(k, [...(groups.get(k) ?? []), r.wallSeconds]);
  }
  for (const [k, ts] of groups) md.push(`| ${k} | ${ts.length} | ${mean(ts).toFixed(1)} | ${Math.min(...ts).toFixed(1)} | ${Math.max(...ts).toFixed(1)} |`);
  md.push('', `Sum of run wall times: ${(done.reduce((a, r) => a + r.wallSeconds, 0) / 60).toFixed(1)} min.`, '');
  save('results.md', md.join('\n'));
  return written;
}
