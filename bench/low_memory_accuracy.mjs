// Benchmark: what the low-memory mode (no w_old; m and momentum in bf16) costs in
// accuracy on the default task — the CLI's built-in CNN fine-tuned on the "user"
// digits (rotated, sheared, heavier strokes; 30% noisy labels), CLI defaults (F-SAM,
// SGD momentum 0.9, lr 0.01, ρ 0.2, σ 1, λ 0.6, wd 5e-4, batch 32, 20 epochs). Same
// seeds for both modes, so each seed pairs the same label noise and batch order.
// Writes bench/results/low_memory_accuracy.{json,md}.
// Usage: node bench/low_memory_accuracy.mjs [--quick]   (--quick: 2 seeds, 4 epochs, no files)
import { writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { bundleTest, root } from '../test/tfjs-core-ops/bundle.mjs';
import { machine, load, meanStd } from './support.mjs';

const quick = process.argv.includes('--quick');
const SEEDS = quick ? [1, 2] : [1, 2, 3, 4, 5, 6, 7, 8];
const EPOCHS = quick ? 4 : 20;

const entry = `
import { ready, tf, FSAM } from './src/index.ts';
import { openModel, openDefaultTask, cloneModel } from './src/cli/session.ts';
import { defaultCacheDir } from './src/cli/base_model.ts';
import { train, evaluate } from './src/personalize/train.ts';
import { DEFAULT_SETTINGS, DEFAULT_BATCH, DEFAULT_NOISE } from './src/personalize/settings.ts';
await ready();
const [seeds, epochs] = [${JSON.stringify(SEEDS)}, ${EPOCHS}];
const { model: base, source } = await openModel(undefined, defaultCacheDir(), (s) => console.error(s));
const s = DEFAULT_SETTINGS;
const runs = [];
for (const seed of seeds) for (const lowMemory of [false, true]) {
  const task = openDefaultTask(DEFAULT_NOISE, seed, base, source);
  const model = await cloneModel(base);
  const before = evaluate(model, task.heldOut);
  const opt = new FSAM({ learningRate: s.learningRate, rho: s.rho, sigma: s.sigma, lambda: s.lambda, momentum: s.momentum,
    nesterov: s.nesterov, weightDecay: s.weightDecay, lowMemory });
  const optimizer = { step: (f, vars) => { const l = opt.minimize(f, true, vars); const v = l.dataSync()[0]; l.dispose(); return v; } };
  const t0 = performance.now();
  const history = await train({ model, optimizer, train: task.train, heldOut: task.heldOut, batchSize: DEFAULT_BATCH, seed, fromEpoch: 0, toEpoch: epochs });
  const last = history[history.length - 1];
  const m = opt.memory();
  runs.push({ seed, lowMemory, before: before.accuracy, after: last.heldOutAccuracy, finalLoss: last.loss,
    best: Math.max(...history.map((e) => e.heldOutAccuracy)), stateBytes: m.stateBytes, parameters: m.parameters,
    stateBytesPerParameter: m.stateBytes / m.parameters, seconds: (performance.now() - t0) / 1000 });
  console.error(JSON.stringify(runs[runs.length - 1]));
  opt.dispose(); model.dispose();
}
console.log(JSON.stringify({ source, settings: { ...s, batch: DEFAULT_BATCH, noise: DEFAULT_NOISE, epochs }, runs }));
`;

const file = await bundleTest('bench_low_memory_accuracy', entry);
const loadBefore = load();
const out = JSON.parse(execFileSync(process.execPath, [file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 }).toString().trim().split('\n').pop());
// The base model's cache path names the recipe; the directory it sits in is this machine's.
out.source = out.source.replace(/\(.*\/(base-digit-cnn-[0-9a-f]+)\/model\.json\)/, "(cached as $1)");
const pick = (low) => out.runs.filter((r) => r.lowMemory === low);
const full = meanStd(pick(false).map((r) => r.after)), low = meanStd(pick(true).map((r) => r.after));
const paired = meanStd(SEEDS.map((seed) => out.runs.find((r) => r.seed === seed && !r.lowMemory).after - out.runs.find((r) => r.seed === seed && r.lowMemory).after));
const drop = full.mean - low.mean;
const summary = {
  full, lowMemory: low, drop, pairedDrop: paired,
  withinOneStd: Math.abs(drop) <= full.std || drop <= 0,
  stateBytesPerParameter: { full: pick(false)[0].stateBytesPerParameter, lowMemory: pick(true)[0].stateBytesPerParameter },
};
const pct = (x) => (100 * x).toFixed(2);
const table = [
  `Default task (${out.source}), F-SAM + SGD momentum, CLI defaults, ${EPOCHS} epochs, seeds ${SEEDS.join(', ')}: held-out accuracy after the last epoch.`, '',
  '| mode | state bytes/param | held-out accuracy, mean ± std | per seed |',
  '|---|---:|---:|---|',
  `| full (m, w_old, momentum in f32) | ${summary.stateBytesPerParameter.full.toFixed(2)} | ${pct(full.mean)} ± ${pct(full.std)} % | ${pick(false).map((r) => pct(r.after)).join(', ')} |`,
  `| lowMemory (m, momentum in bf16; no w_old) | ${summary.stateBytesPerParameter.lowMemory.toFixed(2)} | ${pct(low.mean)} ± ${pct(low.std)} % | ${pick(true).map((r) => pct(r.after)).join(', ')} |`,
  '',
  `Drop (full − lowMemory): ${pct(drop)} points; paired per seed ${pct(paired.mean)} ± ${pct(paired.std)}; one std of full mode: ${pct(full.std)} → ${summary.withinOneStd ? 'within' : 'NOT within'} one std.`,
  `Accuracy before fine-tuning: ${pct(pick(false)[0].before)} %.`,
].join('\n');
const result = { benchmark: 'low_memory_accuracy', machine: machine(), date: new Date().toISOString(), command: 'npm run bench',
  loadavg: { before: loadBefore, after: load() }, ...out, summary };
console.log(JSON.stringify(result));
console.log(`\n${table}\n`);
if (!quick) {
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/low_memory_accuracy.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(new URL('./results/low_memory_accuracy.md', import.meta.url), `${result.machine}\n\n${table}\n`);
}
