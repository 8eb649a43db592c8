// Where a whole training step spends its time, kernel by kernel: tf.profile over one
// optimizer.minimize() of the study's CNN (conv 3×3×8, pool, conv 3×3×16, pool, dense 64,
// dense 10; batch 128, softmax cross-entropy) on tfjs-wasm, for SGD and F-SAM. Kernel
// times are summed per kernel name; "outside kernels" is the step's wall time minus their
// sum (tfjs's dispatch, the tape, the optimizer's JS). This is how fsam-edge found the
// tfjs-wasm kernels it replaces; run it on a model of your own the same way.
// --dist DIR runs another build's bundle (e.g. an older commit's, for a before/after).
// Writes bench/results/step_profile.{json,md}. Usage: node bench/step_profile.mjs [--quick] [--dist DIR]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { machine, load, writeResults } from './support.mjs';

const quick = process.argv.includes('--quick');
const distArg = process.argv.indexOf('--dist');
const dist = distArg > 0 ? resolve(process.argv[distArg + 1]) : new URL('../dist', import.meta.url).pathname;
const { ready, tf, layers, FSAM, SGD } = await import(pathToFileURL(`${dist}/fsam-edge.js`).href);
await ready();

const BATCH = 128, STEPS = quick ? 5 : 30, PROFILES = quick ? 1 : 5;
function studyCnn() {
  const L = layers.layers, init = (k) => layers.initializers.heUniform({ seed: k });
  return layers.sequential({ layers: [
    L.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: init(2) }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dense({ units: 64, activation: 'relu', kernelInitializer: init(3) }),
    L.dense({ units: 10, kernelInitializer: init(4) }),
  ] });
}

async function profile(name, optimizer) {
  const model = studyCnn();
  const x = tf.randomNormal([BATCH, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 2), 10);
  const vars = model.trainableWeights.map((w) => w.val);
  const loss = () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }));
  const step = () => tf.dispose(optimizer.minimize(loss, true, vars));
  for (let i = 0; i < 5; i++) step();
  const walls = [];
  for (let i = 0; i < STEPS; i++) { const t0 = performance.now(); step(); walls.push(performance.now() - t0); }
  walls.sort((a, b) => a - b);
  const wallMs = walls[Math.floor(walls.length / 10)];
  // Kernel times: the minimum over a few profiled steps, per kernel name (being
  // descheduled only ever adds time).
  let best = null;
  for (let p = 0; p < PROFILES; p++) {
    const info = await tf.profile(() => { step(); });
    const by = {};
    // Entries named "<op>__op" are ops built with customGrad: their time includes the
    // kernels they run, which are listed too.
    for (const k of info.kernels.filter((e) => !e.name.endsWith('__op'))) {
      const e = (by[k.name] ??= { ms: 0, calls: 0 });
      e.ms += k.kernelTimeMs; e.calls++;
    }
    if (!best) best = by;
    else for (const [k, e] of Object.entries(by)) if (!best[k] || e.ms < best[k].ms) best[k] = e;
  }
  const kernelMs = Object.values(best).reduce((a, e) => a + e.ms, 0);
  optimizer.dispose(); model.dispose(); tf.dispose([x, y]);
  const kernels = Object.entries(best).map(([kernel, e]) => ({ kernel, ms: e.ms, calls: e.calls })).sort((a, b) => b.ms - a.ms);
  return { optimizer: name, wallMs, kernelMs, outsideKernelsMs: Math.max(0, wallMs - kernelMs), kernels };
}

const loadBefore = load();
const rows = [
  await profile('SGD momentum', new SGD({ learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4 })),
  await profile('F-SAM', new FSAM({ learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, rho: 0.2 })),
];
const result = { benchmark: 'step_profile', machine: machine(), date: new Date().toISOString(), command: 'npm run bench', dist,
  model: 'study CNN, batch 128', loadavg: { before: loadBefore, after: load() }, rows };
// The top 12 of each, and Identity and Cast always (fsam-edge made them share data instead of copying).
const names = [...new Set([...rows.flatMap((r) => r.kernels.slice(0, 12).map((k) => k.kernel)), 'Identity', 'Cast'])];
const cell = (r, name) => { const k = r.kernels.find((e) => e.kernel === name); return k ? `${k.ms.toFixed(2)} (×${k.calls})` : '–'; };
const md = [`${result.machine}; load ${loadBefore.join(' ')}`, '',
  `**One training step of the study's CNN** (batch ${BATCH}, \`minimize()\`), kernel time in ms summed per kernel (calls in brackets); the step's wall time is the 10th percentile of ${STEPS} steps.`, '',
  `| kernel | ${rows.map((r) => r.optimizer).join(' | ')} |`, `|---|${rows.map(() => '---:').join('|')}|`,
  ...names.map((n) => `| ${n} | ${rows.map((r) => cell(r, n)).join(' | ')} |`),
  `| all kernels | ${rows.map((r) => r.kernelMs.toFixed(2)).join(' | ')} |`,
  `| outside kernels (dispatch, tape, JS) | ${rows.map((r) => r.outsideKernelsMs.toFixed(2)).join(' | ')} |`,
  `| whole step | ${rows.map((r) => r.wallMs.toFixed(2)).join(' | ')} |`].join('\n');
console.log(JSON.stringify(result));
console.log(`\n${md}\n`);
if (!quick && distArg < 0) writeResults('step_profile', result, md);
