// Benchmark: memory per optimizer, on tfjs-wasm, for an MLP 784-W-W-10 (batch 32).
//  1. Footprint at one width: the arena's layout (bytes per slab), the optimizer state
//     tfjs holds (tfjs's own optimizers and the tfjs-ops F-SAM keep theirs as tensors),
//     the heap's high water (what the run needed of wasm memory: ./wasm_heap.mjs) against
//     the floor (weights, g, g₂ and state), the wasm memory's size, JS heap and peak RSS —
//     each optimizer in a child process of its own, so process.resourceUsage().maxRSS is
//     that optimizer's peak. Checks F-SAM's state against the formula (bytes/param ×
//     parameters, 16-byte aligned per variable) and the steady state: tensors and wasm
//     bytes added per step after the first.
//  2. Under a hard cap: the widest MLP each optimizer trains within 64 MiB, and 32 MiB,
//     of wasm memory. The cap is enforced, not computed (./wasm_heap.mjs: the memory
//     maximum that tfjs-wasm's binary declares is rewritten to the cap, so memory.grow
//     fails past it, and malloc throws on 0). Binary search on W, one child process per
//     probe (a failed malloc leaves the heap unusable).
// The planner's prediction beside each (src/tfjs/plan.ts, in this process, from a
// description of the MLP as Dense layers: nothing is allocated for it): the high water at
// the one width, and the widest MLP whose planned run a cap must allow.
// The model's initial tensors are disposed once the variables hold them (until issue 18
// they were not: a leaked copy of the weights counted against every optimizer).
// Writes bench/results/memory_footprint.{json,md}.
// Usage: node bench/memory_footprint.mjs [--quick]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { machine, load, writeResults } from './support.mjs';
import { watchWasmHeap } from './wasm_heap.mjs';


// What each optimizer is: label, and how to make it (in the child).
const OPTIMIZERS = {
  'gradients only': { note: 'one backward pass, no optimizer: the model and its gradient' },
  'tf.train.momentum': { note: 'tfjs, SGD momentum 0.9' },
  'tf.train.adam': { note: 'tfjs, Adam' },
  'F-SAM in tfjs ops': { note: 'bench/tfjs_ops_fsam.mjs, SGD momentum' },
  'FSAM (SGD-m)': { note: 'fsam-edge, formula 12 B/param', bytesPerParam: 12 },
  'SAM (SGD-m)': { note: 'fsam-edge, formula 8 B/param', bytesPerParam: 8 },
  'FSAM (AdamW)': { note: 'fsam-edge, formula 16 B/param', bytesPerParam: 16 },
  'FSAM lowMemory (SGD-m)': { note: 'fsam-edge, formula 4 B/param', bytesPerParam: 4 },
  'SAM lowMemory (SGD-m)': { note: 'fsam-edge, formula 2 B/param', bytesPerParam: 2 },
};

function runChild(spec) {
  try {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(spec)],
      { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24, timeout: 300_000 });
    return JSON.parse(out.toString().trim().split('\n').pop());
  } catch (err) {
    const text = `${err.stdout ?? ''}`.trim().split('\n').pop();
    try { return JSON.parse(text); } catch { return { ok: false, error: String(err.stderr ?? err.message).slice(-300) }; }
  }
}

// fsam-edge's optimizers, as planMemory takes them (FSAM's options).
const PLANNED = {
  'FSAM (SGD-m)': {}, 'SAM (SGD-m)': { sharpness: 'sam' }, 'FSAM (AdamW)': { base: 'adamw' },
  'FSAM lowMemory (SGD-m)': { lowMemory: true }, 'SAM lowMemory (SGD-m)': { sharpness: 'sam', lowMemory: true },
};

/** The bench's MLP 784-W-W-10 described as tfjs-layers Dense layers, for planMemory: shapes and configs only. */
function mlpDescription(w) {
  const dense = (name, inputs, units, activation) => ({
    name, getClassName: () => 'Dense', getConfig: () => ({ activation, useBias: true }), outputShape: [null, units],
    trainableWeights: [{ name: `${name}/kernel`, shape: [inputs, units] }, { name: `${name}/bias`, shape: [units] }],
  });
  const layers = [dense('d1', 784, w, 'relu'), dense('d2', w, w, 'relu'), dense('d3', w, 10, 'linear')];
  const weights = layers.flatMap((l) => l.trainableWeights);
  return { layers, inputs: [{ shape: [null, 784] }], outputs: [{ shape: [null, 10] }], weights, trainableWeights: weights };
}

async function planned(planMemory, name, width) {
  return planMemory(mlpDescription(width), { batchSize: 32, optimizer: PLANNED[name] }).wasm;
}

/** The widest W (to 16) whose planned run fits `capBytes` (what a cap must allow: 1.05 × the peak, as the CLI checks). */
async function plannedWidest(planMemory, name, capBytes) {
  let lo = 0, hi = 4096;
  while (hi - lo > 16) {
    const mid = Math.round((lo + hi) / 32) * 16;
    if ((await planned(planMemory, name, mid)).peakBytes * 1.05 <= capBytes) lo = mid; else hi = mid;
  }
  return lo;
}

async function parent(quick) {
  const loadBefore = load();
  const { ready, planMemory } = await import('../dist/fsam-edge.js');
  await ready();
  const WIDTH = quick ? 256 : 1024, STEPS = quick ? 12 : 30, WARMUP = 10, CAPS_MIB = quick ? [32] : [64, 32];
  const footprint = {};
  for (const name of Object.keys(OPTIMIZERS)) {
    footprint[name] = runChild({ name, width: WIDTH, steps: STEPS, warmup: WARMUP });
    if (PLANNED[name] && footprint[name].ok) footprint[name].planned = await planned(planMemory, name, WIDTH);
    console.error(name, JSON.stringify(footprint[name]));
  }
  const caps = {};
  for (const capMiB of CAPS_MIB) {
    const cap = caps[capMiB] = {};
    for (const name of Object.keys(OPTIMIZERS)) {
      if (name === 'gradients only') continue;
      // Largest W (a multiple of 16) whose 5 steps fit: invariant fits(lo), !fits(hi).
      let lo = 16, hi = capMiB >= 64 ? 1024 : 512;
      const probes = [];
      const fits = (w) => {
        const r = runChild({ name, width: w, steps: 5, warmup: 1, capMiB });
        probes.push({ width: w, ok: r.ok, highWater: r.wasm?.highWater, error: r.ok ? undefined : r.error });
        return r.ok;
      };
      if (!fits(lo)) { cap[name] = { width: 0, probes }; continue; }
      while (fits(hi)) { lo = hi; hi *= 2; }
      while (hi - lo > 16) {
        const mid = Math.round((lo + hi) / 32) * 16;
        if (fits(mid)) lo = mid; else hi = mid;
      }
      const plannedWidth = PLANNED[name] ? await plannedWidest(planMemory, name, capMiB * 2 ** 20) : null;
      cap[name] = { width: lo, parameters: mlpParameters(lo), probes, plannedWidth };
      console.error(`cap ${capMiB} MiB: ${name}: W = ${lo} (${mlpParameters(lo)} parameters)`);
    }
  }

  const mib = (b) => (b / 2 ** 20).toFixed(2);
  const rows = Object.entries(footprint).map(([name, r]) => {
    if (!r.ok) return `| ${name} | failed: ${r.error} |||||||||||`;
    const formula = OPTIMIZERS[name].bytesPerParam;
    // The formula, per state slab: bytes/param × parameters (each variable's length rounded up to 4), the slab to 16 bytes.
    const stateKinds = r.arena ? Object.keys(r.arena.bytesPerKind).filter((k) => !k.startsWith('grad')) : [];
    const expected = stateKinds.length * Math.ceil((r.alignedParameters * formula) / stateKinds.length / 16) * 16;
    const check = formula ? (r.arena.stateBytes === expected ? `= formula ${formula} ✓` : `≠ formula ${formula} (${expected}) ✗`) : '';
    const kinds = r.arena ? Object.entries(r.arena.bytesPerKind).map(([k, b]) => `${k} ${mib(b)}`).join(', ') : '';
    // The floor: weights, one gradient per pass (g, and g₂ for the SAM family) and the state.
    const passes = name === 'gradients only' || name.startsWith('tf.train') ? 1 : 2;
    const floor = r.parameters * 4 * (1 + passes) + r.stateBytes;
    const plan = r.planned ? `${mib(r.planned.peakBytes)} (${(100 * (r.planned.peakBytes / r.wasm.highWater - 1)).toFixed(1)}%)` : '';
    return `| ${name} | ${mib(r.stateBytes)} | ${(r.stateBytes / r.parameters).toFixed(2)} ${check} | ${kinds} | ${mib(r.wasm.highWater)} | ${plan} | ${mib(floor)} | ${(r.wasm.highWater / floor).toFixed(3)} | ${mib(r.wasm.after)} | ${r.perStep.tensors} | ${r.perStep.wasmBytes} (${Math.round(r.warmupPerStep.wasmBytes)}) | ${mib(r.jsHeapUsed)} | ${mib(r.maxRSS)} |`;
  });
  const names = Object.keys(OPTIMIZERS).filter((n) => n !== 'gradients only');
  const capRows = names.map((name) => `| ${name} | ${CAPS_MIB.map((c) => {
    const x = caps[c][name];
    return `${x.width} | ${x.width ? (x.parameters / 1e6).toFixed(3) : 0} M | ${x.plannedWidth ? `${x.plannedWidth} (${(mlpParameters(x.plannedWidth) / 1e6).toFixed(3)} M)` : ''}`;
  }).join(' | ')} |`);
  const params = footprint['FSAM (SGD-m)'].parameters;
  const md = [
    `**Memory per optimizer**: MLP 784-${WIDTH}-${WIDTH}-10 (${params.toLocaleString('en')} parameters, ${mib(params * 4)} MiB of weights), batch 32, ${STEPS} steps, one child process each.`,
    'State: the arena\'s state slabs for fsam-edge (layout bytes; the arena also holds g, the first pass\'s gradient), the tensors the optimizer keeps for tfjs\'s and the tfjs-ops F-SAM (tf.memory() after the steps minus before).',
    'High water: the most of tfjs-wasm\'s heap the run used (its sbrk break, which never falls), against the floor: weights, g (and g₂ for the SAM family) and the state. wasm memory: the WebAssembly.Memory\'s size after the steps (Emscripten grows it 20% ahead of need).',
    `Per step: the steady state, steps ${WARMUP + 1}…${STEPS} (in brackets: steps 2…${WARMUP}, where tfjs's heap may still settle).`, '',
    '| optimizer | state MiB | state bytes/param | arena slabs MiB | high water MiB | planned MiB (error) | floor MiB | ÷ floor | wasm memory MiB | tensors/step | wasm bytes/step | JS heap MiB | peak RSS MiB |',
    '|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows, '',
    `**Under a hard cap on wasm memory** (enforced: tfjs-wasm's memory maximum rewritten to the cap, malloc failing past it): the widest MLP 784-W-W-10 (batch 32) that completes 5 steps, W to 16.`, '',
    'Planned: the widest W whose planned run the cap allows (1.05 × the planned peak, as the CLI checks --max-memory).', '',
    `| optimizer | ${CAPS_MIB.map((c) => `widest W, ${c} MiB | parameters | planned W`).join(' | ')} |`, `|---|${CAPS_MIB.map(() => '---:|---:|---:').join('|')}|`, ...capRows,
  ].join('\n');
  const result = { benchmark: 'memory_footprint', machine: machine(), date: new Date().toISOString(), command: 'npm run bench',
    loadavg: { before: loadBefore, after: load() }, width: WIDTH, steps: STEPS, capsMiB: CAPS_MIB, footprint, caps };
  console.log(JSON.stringify(result));
  console.log(`\n${md}\n`);
  if (!quick) writeResults('memory_footprint', result, `${result.machine}\n\n${md}`);
}

function mlpParameters(w) { return 784 * w + w + w * w + w + w * 10 + 10; }

async function child({ name, width, steps, warmup, capMiB }) {
  const heap = watchWasmHeap({ capBytes: capMiB ? capMiB * 2 ** 20 : undefined });
  const { ready, tf, FSAM, SAM, wasmMemory } = await import('../dist/fsam-edge.js');
  const { tfjsOpsFsam } = await import('./tfjs_ops_fsam.mjs');
  await ready();
  const memory = wasmMemory();
  if (capMiB && memory !== heap.memory) throw new Error('the cap was not applied to tfjs-wasm\'s memory');
  const out = { name, width, ok: false };
  try {
    const before = { wasm: memory.buffer.byteLength };
    const r = (shape, seed) => tf.randomNormal(shape, 0, 0.05, 'float32', seed);
    const shapes = [[784, width], [width], [width, width], [width], [width, 10], [10]];
    const vars = shapes.map((s, i) => tf.tidy(() => tf.variable(r(s, i + 1), true, `mlp/v${i}`)));
    const x = tf.randomNormal([32, 784], 0, 1, 'float32', 99);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10), 'int32'), 10);
    const loss = () => {
      const h1 = tf.relu(tf.add(tf.matMul(x, vars[0]), vars[1]));
      const h2 = tf.relu(tf.add(tf.matMul(h1, vars[2]), vars[3]));
      return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h2, vars[4]), vars[5]));
    };
    const H = { learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4, rho: 0.05 };
    let opt, step;
    switch (name) {
      case 'gradients only': step = () => tf.tidy(() => { tf.variableGrads(loss, vars); }); break;
      case 'tf.train.momentum': opt = tf.train.momentum(0.01, 0.9); break;
      case 'tf.train.adam': opt = tf.train.adam(0.001); break;
      case 'F-SAM in tfjs ops': { const o = tfjsOpsFsam(tf, { ...H, sigma: 1, lambda: 0.6 }); step = () => tf.tidy(() => o.minimize(loss, vars)); break; }
      case 'FSAM (SGD-m)': opt = new FSAM(H); break;
      case 'SAM (SGD-m)': opt = new SAM(H); break;
      case 'FSAM (AdamW)': opt = new FSAM({ ...H, base: 'adamw', learningRate: 0.001 }); break;
      case 'FSAM lowMemory (SGD-m)': opt = new FSAM({ ...H, lowMemory: true }); break;
      case 'SAM lowMemory (SGD-m)': opt = new SAM({ ...H, lowMemory: true }); break;
      default: throw new Error(`unknown optimizer ${name}`);
    }
    step ??= () => opt.minimize(loss, false, vars);
    const tfBefore = tf.memory().numBytes;
    before.wasmModel = memory.buffer.byteLength;
    step();
    const first = { tensors: tf.memory().numTensors, wasm: memory.buffer.byteLength };
    for (let t = 1; t < warmup; t++) step();
    const warm = { tensors: tf.memory().numTensors, wasm: memory.buffer.byteLength };
    for (let t = warmup; t < steps; t++) step();
    const parameters = vars.reduce((s, v) => s + v.size, 0);
    const arena = opt?.memory?.() ?? null;
    Object.assign(out, {
      ok: true, parameters, alignedParameters: vars.reduce((s, v) => s + Math.ceil(v.size / 4) * 4, 0),
      arena, stateBytes: arena ? arena.stateBytes : tf.memory().numBytes - tfBefore,
      wasm: { initial: before.wasm, before: before.wasmModel, after: memory.buffer.byteLength, highWater: heap.highWater() },
      perStep: { tensors: (tf.memory().numTensors - warm.tensors) / (steps - warmup), wasmBytes: (memory.buffer.byteLength - warm.wasm) / (steps - warmup) },
      warmupPerStep: { tensors: (warm.tensors - first.tensors) / Math.max(1, warmup - 1), wasmBytes: (warm.wasm - first.wasm) / Math.max(1, warmup - 1) },
      jsHeapUsed: process.memoryUsage().heapUsed, maxRSS: process.resourceUsage().maxRSS * 1024,
    });
  } catch (err) {
    out.error = String(err?.message ?? err).slice(0, 300);
  }
  console.log(JSON.stringify(out));
  process.exit(0);
}

const childArg = process.argv.indexOf('--child');
if (childArg > 0) await child(JSON.parse(process.argv[childArg + 1]));
else await parent(process.argv.includes('--quick'));
