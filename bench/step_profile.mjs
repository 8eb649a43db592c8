// Where a whole training step spends its time, kernel by kernel: tf.profile over one
// optimizer.minimize() on tfjs-wasm, for SGD and F-SAM, on the study's CNN (conv 3×3×8,
// pool, conv 3×3×16, pool, dense 64, dense 10; batch 128) and the default task's CNN
// (conv 5×5/2×8, conv 3×3/2×16, dense 32, dense 10; batch 32), softmax cross-entropy.
// Kernel times are summed per kernel name (the minimum over a few profiled steps).
// "Outside kernels" — tfjs's dispatch, the tape, tidy, tfjs-layers, the optimizer's JS —
// is measured per step: every wasm kernel is wrapped with a timer, and each step's wall
// time minus the time inside its (outermost) kernel calls is one sample; the p10 and
// median over the steps are reported with the number of kernel calls per step. The
// optimizer's own wasm kernels (the arena step's SIMD kernels: Σd², perturb, restore,
// EMA, the base step, the gradient copy) are kernels too, not dispatch: they are timed
// the same way, shown on their own row, and left out of "outside kernels" (the row
// "outside tfjs's kernels" keeps the earlier definition, which counted them). This is
// how fsam-edge found the tfjs-wasm kernels it replaces; run it on a model of your own.
// --dist DIR runs another build's bundle (e.g. an older commit's, for a before/after).
// Writes bench/results/step_profile.{json,md}. Usage: node bench/step_profile.mjs [--quick] [--dist DIR]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { machine, load, writeResults } from './support.mjs';
import { benchModels, trainingStep } from './models.mjs';

const quick = process.argv.includes('--quick');
const distArg = process.argv.indexOf('--dist');
const dist = distArg > 0 ? resolve(process.argv[distArg + 1]) : new URL('../dist', import.meta.url).pathname;
const { ready, tf, layers, FSAM, SGD } = await import(pathToFileURL(`${dist}/fsam-edge.js`).href);
await ready();

const STEPS = quick ? 5 : 40, PROFILES = quick ? 1 : 5;
const MODELS = Object.fromEntries(Object.values(benchModels(layers)).map((m) => [m.label, m]));
const OPTIMIZERS = {
  'SGD momentum': () => new SGD({ learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4 }),
  'F-SAM': () => new FSAM({ learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, rho: 0.2 }),
};
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) * q)]; };

/** Every wasm kernel wrapped with a timer of its outermost calls; returns unwrap(). */
const timer = { insideMs: 0, calls: 0, depth: 0, optimizerMs: 0, optimizerCalls: 0 };
function wrapKernels() {
  const originals = tf.getKernelsForBackend('wasm');
  for (const config of originals) {
    const f = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: (args) => {
      if (timer.depth++ > 0) { try { return f(args); } finally { timer.depth--; } }
      const t0 = performance.now();
      try { return f(args); } finally { timer.insideMs += performance.now() - t0; timer.calls++; timer.depth--; }
    } });
  }
  return () => { for (const config of originals) { tf.unregisterKernel(config.kernelName, 'wasm'); tf.registerKernel(config); } };
}

/**
 * The optimizer's kernels (its step's bound wasm exports, a private field the bench
 * reaches into) wrapped with a timer; returns unwrap(). Their calls are never nested
 * inside a tfjs kernel's.
 */
function wrapOptimizerKernels(optimizer) {
  const kernels = optimizer.step?.kernels;
  if (!kernels) throw new Error('the optimizer has no arena step to time (not on wasm, or not stepped yet)');
  const originals = Object.entries(kernels).filter(([, f]) => typeof f === 'function');
  for (const [name, f] of originals) {
    kernels[name] = (...args) => {
      const t0 = performance.now();
      try { return f(...args); } finally { timer.optimizerMs += performance.now() - t0; timer.optimizerCalls++; }
    };
  }
  return () => { for (const [name, f] of originals) kernels[name] = f; };
}

/**
 * `steps` steps timed with the kernels wrapped: per step, the time outside every kernel
 * (tfjs's and the optimizer's), and outside tfjs's kernels only; the kernel calls of the last step.
 */
function timeOutside(step, steps) {
  const outside = [], outsideTfjs = [], optimizerMs = [];
  let calls = 0, optimizerCalls = 0;
  for (let i = 0; i < steps; i++) {
    timer.insideMs = 0; timer.calls = 0; timer.optimizerMs = 0; timer.optimizerCalls = 0;
    const t0 = performance.now();
    step();
    const wall = performance.now() - t0;
    outside.push(wall - timer.insideMs - timer.optimizerMs);
    outsideTfjs.push(wall - timer.insideMs);
    optimizerMs.push(timer.optimizerMs);
    calls = timer.calls; optimizerCalls = timer.optimizerCalls;
  }
  return { outside, outsideTfjs, optimizerMs, calls, optimizerCalls };
}

async function profile(modelName, optName) {
  const { batch, build } = MODELS[modelName];
  const optimizer = OPTIMIZERS[optName]();
  const { step, dispose } = trainingStep(tf, build(), optimizer, batch);
  for (let i = 0; i < 5; i++) step();
  const walls = [];
  for (let i = 0; i < STEPS; i++) { const t0 = performance.now(); step(); walls.push(performance.now() - t0); }
  // Outside kernels, step by step.
  const unwrap = wrapKernels(), unwrapOptimizer = wrapOptimizerKernels(optimizer);
  let timed;
  try {
    timed = timeOutside(step, STEPS);
  } finally { unwrap(); unwrapOptimizer(); }
  const { outside, outsideTfjs, optimizerMs, calls, optimizerCalls } = timed;
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
  dispose();
  const kernels = Object.entries(best).map(([kernel, e]) => ({ kernel, ms: e.ms, calls: e.calls })).sort((a, b) => b.ms - a.ms);
  return { model: modelName, optimizer: optName, wallMs: { p10: quantile(walls, 0.1), median: quantile(walls, 0.5) }, kernelMs,
    outsideKernelsMs: { p10: quantile(outside, 0.1), median: quantile(outside, 0.5) },
    outsideTfjsKernelsMs: { p10: quantile(outsideTfjs, 0.1), median: quantile(outsideTfjs, 0.5) },
    optimizerKernelsMs: { p10: quantile(optimizerMs, 0.1), median: quantile(optimizerMs, 0.5) },
    kernelCallsPerStep: calls, optimizerKernelCallsPerStep: optimizerCalls, kernels };
}

/**
 * The compiled step (optimizer.compile(), replaying its recorded passes): wall time, and
 * time outside kernels with every kernel timed. A replay calls the kernelFuncs it looked
 * up when it was made, so the timed step is compiled after the kernels are wrapped (its
 * first two steps record, the rest replay). tf.profile sees no replayed kernel: the
 * kernel table is minimize()'s.
 */
async function profileCompiled(modelName, optName) {
  const { batch, build } = MODELS[modelName];
  const walls = [];
  let outside, outsideTfjs, calls, replay;
  {
    const { step, dispose } = trainingStep(tf, build(), OPTIMIZERS[optName](), batch, { compiled: true });
    for (let i = 0; i < 5; i++) step();
    for (let i = 0; i < STEPS; i++) { const t0 = performance.now(); step(); walls.push(performance.now() - t0); }
    dispose();
  }
  const unwrap = wrapKernels();
  try {
    const optimizer = OPTIMIZERS[optName]();
    const { step, dispose, replay: status } = trainingStep(tf, build(), optimizer, batch, { compiled: true });
    for (let i = 0; i < 5; i++) step();
    replay = status();
    const unwrapOptimizer = wrapOptimizerKernels(optimizer);
    try {
      ({ outside, outsideTfjs, calls } = timeOutside(step, STEPS));
    } finally { unwrapOptimizer(); dispose(); }
  } finally { unwrap(); }
  if (replay?.state !== 'replaying') throw new Error(`the compiled step did not replay: ${JSON.stringify(replay)}`);
  return { wallMs: { p10: quantile(walls, 0.1), median: quantile(walls, 0.5) },
    outsideKernelsMs: { p10: quantile(outside, 0.1), median: quantile(outside, 0.5) },
    outsideTfjsKernelsMs: { p10: quantile(outsideTfjs, 0.1), median: quantile(outsideTfjs, 0.5) }, kernelCallsPerStep: calls };
}

const loadBefore = load();
const rows = [];
for (const modelName of Object.keys(MODELS)) {
  for (const optName of Object.keys(OPTIMIZERS)) rows.push({ ...(await profile(modelName, optName)), compiled: await profileCompiled(modelName, optName) });
}
const result = { benchmark: 'step_profile', machine: machine(), date: new Date().toISOString(), command: 'node bench/step_profile.mjs', dist,
  steps: STEPS, loadavg: { before: loadBefore, after: load() }, rows };
const f = (v) => v.toFixed(2);
const tables = Object.keys(MODELS).map((modelName) => {
  const rs = rows.filter((r) => r.model === modelName);
  // The top 12 of each, and Identity and Cast always (fsam-edge made them share data instead of copying).
  const names = [...new Set([...rs.flatMap((r) => r.kernels.slice(0, 12).map((k) => k.kernel)), 'Identity', 'Cast'])];
  const cell = (r, name) => { const k = r.kernels.find((e) => e.kernel === name); return k ? `${f(k.ms)} (×${k.calls})` : '–'; };
  return [`**One training step of the ${modelName}** (\`minimize()\`), kernel time in ms summed per kernel (calls in brackets); wall time and time outside kernels: p10 / median of ${STEPS} steps.`, '',
    `| kernel | ${rs.map((r) => r.optimizer).join(' | ')} |`, `|---|${rs.map(() => '---:').join('|')}|`,
    ...names.map((n) => `| ${n} | ${rs.map((r) => cell(r, n)).join(' | ')} |`),
    `| all kernels | ${rs.map((r) => f(r.kernelMs)).join(' | ')} |`,
    `| the optimizer's own kernels (arena step), per step | ${rs.map((r) => `${f(r.optimizerKernelsMs.p10)} / ${f(r.optimizerKernelsMs.median)} (×${r.optimizerKernelCallsPerStep})`).join(' | ')} |`,
    `| **outside kernels** (dispatch, tape, layers, JS), per step | ${rs.map((r) => `**${f(r.outsideKernelsMs.p10)}** / ${f(r.outsideKernelsMs.median)}`).join(' | ')} |`,
    `| outside tfjs's kernels (the optimizer's kernels counted in), per step | ${rs.map((r) => `${f(r.outsideTfjsKernelsMs.p10)} / ${f(r.outsideTfjsKernelsMs.median)}`).join(' | ')} |`,
    `| tfjs kernel calls per step | ${rs.map((r) => r.kernelCallsPerStep).join(' | ')} |`,
    `| whole step | ${rs.map((r) => `${f(r.wallMs.p10)} / ${f(r.wallMs.median)}`).join(' | ')} |`,
    `| *compiled step (\`optimizer.compile()\`, passes replayed):* | ${rs.map(() => '').join(' | ')} |`,
    `| **outside kernels**, per step | ${rs.map((r) => `**${f(r.compiled.outsideKernelsMs.p10)}** / ${f(r.compiled.outsideKernelsMs.median)}`).join(' | ')} |`,
    `| outside tfjs's kernels, per step | ${rs.map((r) => `${f(r.compiled.outsideTfjsKernelsMs.p10)} / ${f(r.compiled.outsideTfjsKernelsMs.median)}`).join(' | ')} |`,
    `| tfjs kernel calls per step | ${rs.map((r) => r.compiled.kernelCallsPerStep).join(' | ')} |`,
    `| whole step | ${rs.map((r) => `${f(r.compiled.wallMs.p10)} / ${f(r.compiled.wallMs.median)}`).join(' | ')} |`].join('\n');
});
const md = [`${result.machine}; load ${loadBefore.join(' ')} before, ${result.loadavg.after.join(' ')} after`, '', tables.join('\n\n')].join('\n');
console.log(JSON.stringify(result));
console.log(`\n${md}\n`);
if (!quick && distArg < 0) writeResults('step_profile', result, md);
