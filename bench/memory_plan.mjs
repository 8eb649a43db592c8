// Benchmark: the memory planner against measurement. For each model, batch size and
// optimizer, a child process plans the run (planMemory, before anything is allocated
// for it), then trains 6 steps and measures the heap's high water (./wasm_heap.mjs: the
// most of tfjs-wasm's memory the run used) and the process's peak RSS. The models are
// the benchmarks' own: MLPs 784-W-W-10 (bench/memory_footprint.mjs's, as Dense layers),
// the study's CNN and the default task's CNN (bench/models.mjs), at several batch sizes,
// with F-SAM, its low-memory mode and micro-batches. The CLI's default task is planned
// and measured by bench/memory_cli.mjs.
// With --layers: the activation model itself (src/tfjs/layer_memory.ts). For small models
// of each kind of layer, the bytes of tensors a training pass holds at its peak (seen as
// the blocks malloc'd from JavaScript: ./wasm_heap.mjs trackLive), beyond the weights, the
// batch and the weights' gradients, per example (the slope between batches of 16 and 64),
// against the planner's count.
// Writes bench/results/memory_plan.{json,md} (--layers: memory_plan_layers.{json,md}).
// Usage: node bench/memory_plan.mjs [--quick] [--layers]   (without --quick, the --layers table too)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { machine, load, writeResults } from './support.mjs';
import { watchWasmHeap } from './wasm_heap.mjs';

const CASES = [
  ...[32, 128].map((batch) => ({ model: 'mlp1024', batch, optimizer: 'FSAM' })),
  { model: 'mlp1024', batch: 32, optimizer: 'FSAM lowMemory' },
  { model: 'mlp1024', batch: 32, optimizer: 'SGD' },
  { model: 'mlp1264', batch: 32, optimizer: 'FSAM' },
  { model: 'mlp1632', batch: 32, optimizer: 'FSAM lowMemory' },
  ...[32, 128, 512].map((batch) => ({ model: 'study', batch, optimizer: 'FSAM' })),
  { model: 'study', batch: 512, optimizer: 'FSAM', accumulate: 4 },
  { model: 'study', batch: 128, optimizer: 'FSAM lowMemory' },
  ...[32, 128, 512, 1024].map((batch) => ({ model: 'default', batch, optimizer: 'FSAM' })),
  { model: 'default', batch: 512, optimizer: 'SAM', accumulate: 8 },
];

function runChild(spec) {
  try {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    return JSON.parse(out.toString().trim().split('\n').pop());
  } catch (err) {
    return { ok: false, error: String(err.stderr ?? err.message).slice(-400) };
  }
}

async function parent(quick) {
  const loadBefore = load();
  const cases = quick ? CASES.filter((c) => c.batch <= 128 && !c.model.startsWith('mlp1')) : CASES;
  const rows = [];
  for (const c of cases) {
    const r = runChild(c);
    rows.push({ ...c, ...r });
    console.error(JSON.stringify({ ...c, ...r, layers: undefined }));
  }
  const mib = (b) => (b / 2 ** 20).toFixed(2);
  const pct = (p, m) => `${(100 * (p / m - 1)).toFixed(1)}%`;
  const table = rows.map((r) => r.ok
    ? `| ${r.label} | ${r.batch}${r.accumulate ? ` (${r.accumulate} × ${r.batch / r.accumulate})` : ''} | ${r.optimizer} | ${r.parameters.toLocaleString('en')} | ${mib(r.plan.wasm.peakBytes)} | ${mib(r.highWater)} | ${pct(r.plan.wasm.peakBytes, r.highWater)} | ${mib(r.plan.rss.peakBytes)} | ${mib(r.maxRSS)} | ${pct(r.plan.rss.peakBytes, r.maxRSS)} |`
    : `| ${r.model} | ${r.batch} | ${r.optimizer} | failed: ${r.error} |||||||`);
  const worst = Math.max(...rows.filter((r) => r.ok).map((r) => Math.abs(r.plan.wasm.peakBytes / r.highWater - 1)));
  const worstRss = Math.max(...rows.filter((r) => r.ok).map((r) => Math.abs(r.plan.rss.peakBytes / r.maxRSS - 1)));
  const md = [
    '**The memory planner against measurement**: planMemory() before the run, then 6 training steps, one child process per row.',
    'Heap: tfjs-wasm\'s heap at its high water (the most of its memory the run used: bench/wasm_heap.mjs). RSS: the process\'s peak resident set (process.resourceUsage().maxRSS). Error: predicted ÷ measured − 1.', '',
    '| model | batch | optimizer | parameters | heap predicted MiB | heap measured MiB | error | RSS predicted MiB | RSS measured MiB | error |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    ...table, '',
    `Largest error: heap ${(100 * worst).toFixed(1)}%, RSS ${(100 * worstRss).toFixed(1)}%.`,
  ].join('\n');
  const result = { benchmark: 'memory_plan', machine: machine(), date: new Date().toISOString(), command: 'node bench/memory_plan.mjs', loadavg: { before: loadBefore, after: load() }, rows, worstHeapError: worst, worstRssError: worstRss };
  console.log(JSON.stringify(result));
  console.log(`\n${md}\n`);
  if (!quick) {
    writeResults('memory_plan', result, `${result.machine}\n\n${md}`);
    await layersParent();
  }
}

async function child({ model: which, batch, optimizer, accumulate = 1 }) {
  const heap = watchWasmHeap();
  const { ready, tf, layers, FSAM, SAM, SGD, planMemory, microBatchLoss } = await import('../dist/fsam-edge.js');
  const { benchModels } = await import('./models.mjs');
  await ready();
  const L = layers.layers;
  const mlp = (w) => ({ label: `MLP 784-${w}-${w}-10`, input: [784], build: () => layers.sequential({ layers: [
    L.dense({ units: w, activation: 'relu', inputShape: [784] }), L.dense({ units: w, activation: 'relu' }), L.dense({ units: 10 })] }) });
  const cnns = benchModels(layers);
  const models = { mlp1024: mlp(1024), mlp1264: mlp(1264), mlp1632: mlp(1632), study: { ...cnns.study, label: 'study CNN', input: [28, 28, 1] }, default: { ...cnns.default, label: 'default-task CNN', input: [28, 28, 1] } };
  const spec = models[which];
  const model = spec.build();
  const H = { learningRate: 0.01, rho: 0.05, momentum: 0.9, weightDecay: 5e-4, accumulate };
  const opt = optimizer === 'FSAM' ? new FSAM(H) : optimizer === 'FSAM lowMemory' ? new FSAM({ ...H, lowMemory: true }) : optimizer === 'SAM' ? new SAM(H) : new SGD({ learningRate: 0.01, accumulate });
  const plan = planMemory(model, { batchSize: batch, optimizer: opt });
  const x = tf.randomNormal([batch, ...spec.input], 0, 1, 'float32', 1);
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10));
  const vars = model.trainableWeights.map((w) => w.val);
  const loss = (xs, ys) => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }));
  const f = accumulate > 1 ? microBatchLoss(accumulate, x, y, loss) : () => loss(x, y);
  for (let t = 0; t < 6; t++) tf.dispose(opt.minimize(f, true, vars));
  const parameters = vars.reduce((s, v) => s + v.size, 0);
  console.log(JSON.stringify({ ok: true, label: spec.label ?? which, parameters, plan, highWater: heap.highWater(), wasmMemory: heap.memory.buffer.byteLength, maxRSS: process.resourceUsage().maxRSS * 1024 }));
  process.exit(0);
}

// Models of one or two kinds of layer each, for --layers (input, then the layers).
const LAYER_MODELS = {
  'Dense relu ×2, linear': [[784], [['dense', { units: 256, activation: 'relu' }], ['dense', { units: 128, activation: 'relu' }], ['dense', { units: 10 }]]],
  'Dense linear': [[100], [['dense', { units: 1000 }], ['dense', { units: 10 }]]],
  'Dense relu, no bias': [[100], [['dense', { units: 1000, activation: 'relu', useBias: false }], ['dense', { units: 10 }]]],
  'Dense elu': [[100], [['dense', { units: 1000, activation: 'elu' }], ['dense', { units: 10 }]]],
  'Dense tanh': [[100], [['dense', { units: 1000, activation: 'relu' }], ['dense', { units: 1000, activation: 'tanh' }], ['dense', { units: 10 }]]],
  'Dense sigmoid': [[100], [['dense', { units: 1000, activation: 'sigmoid' }], ['dense', { units: 10 }]]],
  'Dense softmax': [[100], [['dense', { units: 1000, activation: 'relu' }], ['dense', { units: 1000, activation: 'softmax' }], ['dense', { units: 10 }]]],
  'Conv2D relu ×2': [[28, 28, 1], [['conv2d', { filters: 4, kernelSize: 3, activation: 'relu' }], ['conv2d', { filters: 8, kernelSize: 3, activation: 'relu' }], ['flatten', {}], ['dense', { units: 10 }]]],
  'Conv2D relu, same, strided': [[28, 28, 1], [['conv2d', { filters: 8, kernelSize: 5, strides: 2, activation: 'relu' }], ['conv2d', { filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }], ['flatten', {}], ['dense', { units: 10 }]]],
  'Conv2D linear': [[28, 28, 1], [['conv2d', { filters: 8, kernelSize: 3 }], ['flatten', {}], ['dense', { units: 10 }]]],
  'MaxPooling2D': [[28, 28, 1], [['conv2d', { filters: 8, kernelSize: 3, activation: 'relu' }], ['maxPooling2d', { poolSize: 2 }], ['flatten', {}], ['dense', { units: 10 }]]],
  'AveragePooling2D': [[28, 28, 1], [['conv2d', { filters: 8, kernelSize: 3, activation: 'relu' }], ['averagePooling2d', { poolSize: 2 }], ['flatten', {}], ['dense', { units: 10 }]]],
  'GlobalAveragePooling2D': [[28, 28, 1], [['conv2d', { filters: 8, kernelSize: 3, activation: 'relu' }], ['globalAveragePooling2d', {}], ['dense', { units: 10 }]]],
  'Dropout': [[100], [['dense', { units: 1000, activation: 'relu' }], ['dropout', { rate: 0.5 }], ['dense', { units: 10 }]]],
  'BatchNormalization, Activation': [[100], [['dense', { units: 1000 }], ['batchNormalization', {}], ['activation', { activation: 'relu' }], ['dense', { units: 10 }]]],
  'Conv2D, BatchNormalization': [[28, 28, 1], [['conv2d', { filters: 8, kernelSize: 3, useBias: false }], ['batchNormalization', {}], ['activation', { activation: 'relu' }], ['flatten', {}], ['dense', { units: 10 }]]],
};

async function layersParent() {
  const loadBefore = load();
  const rows = [];
  for (const name of Object.keys(LAYER_MODELS)) {
    const r = [16, 64].map((batch) => runChild({ layers: name, batch }));
    if (!r.every((x) => x.ok)) { rows.push({ name, ok: false, error: r.find((x) => !x.ok).error }); continue; }
    const measured = (r[1].passBytes - r[0].passBytes) / (64 - 16) / 4;
    rows.push({ name, ok: true, measured, planned: r[0].plannedFloats, error: r[0].plannedFloats / measured - 1 });
    console.error(JSON.stringify(rows.at(-1)));
  }
  const md = [
    '**The activation model against measurement**: floats per example a training pass holds at its peak beyond weights, batch and gradients (JS-visible blocks, slope between batches of 16 and 64), against src/tfjs/layer_memory.ts.', '',
    '| model | measured | planned | error |', '|---|---:|---:|---:|',
    ...rows.map((x) => (x.ok ? `| ${x.name} | ${x.measured.toFixed(0)} | ${x.planned} | ${(100 * x.error).toFixed(1)}% |` : `| ${x.name} | failed: ${x.error} |||`)),
  ].join('\n');
  const result = { benchmark: 'memory_plan_layers', machine: machine(), date: new Date().toISOString(), command: 'node bench/memory_plan.mjs --layers', loadavg: { before: loadBefore, after: load() }, rows };
  console.log(JSON.stringify(result));
  console.log(`\n${md}\n`);
  writeResults('memory_plan_layers', result, `${result.machine}\n\n${md}`);
}

/** --layers child: one gradients pass (after one to warm up), its live peak beyond what was live before and the gradients. */
async function layersChild({ layers: name, batch }) {
  const heap = watchWasmHeap({ trackLive: true });
  const { ready, tf, layers, planMemory } = await import('../dist/fsam-edge.js');
  await ready();
  const [input, spec] = LAYER_MODELS[name];
  const model = layers.sequential({ layers: spec.map(([kind, config], i) => layers.layers[kind]({ ...config, ...(i === 0 ? { inputShape: input } : {}) })) });
  const x = tf.randomNormal([batch, ...input], 0, 1, 'float32', 1);
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10));
  const vars = model.trainableWeights.map((w) => w.val);
  const loss = () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }));
  const pass = () => { const r = tf.variableGrads(loss, vars); tf.dispose(r.grads); r.value.dispose(); };
  pass();
  const before = heap.live;
  heap.resetPeak();
  pass();
  const gradients = vars.reduce((s, v) => s + v.size * 4, 0);
  const plan = planMemory(model, { batchSize: batch });
  console.log(JSON.stringify({ ok: true, passBytes: heap.livePeak - before - gradients, plannedFloats: Math.round(plan.wasm.parts.activations / batch / 4) }));
  process.exit(0);
}

const childArg = process.argv.indexOf('--child');
if (childArg > 0) {
  const spec = JSON.parse(process.argv[childArg + 1]);
  await (spec.layers ? layersChild(spec) : child(spec));
} else if (process.argv.includes('--layers')) await layersParent();
else await parent(process.argv.includes('--quick'));
