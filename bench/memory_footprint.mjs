// Benchmark: memory per optimizer, on tfjs-wasm, for an MLP 784-W-W-10 (batch 32).
//  1. Footprint at one width: the arena's layout (bytes per slab), the optimizer state
//     tfjs holds (tfjs's own optimizers and the tfjs-ops F-SAM keep theirs as tensors),
//     wasm memory, JS heap and peak RSS — each optimizer in a child process of its own,
//     so process.resourceUsage().maxRSS is that optimizer's peak. Checks F-SAM's state
//     against the formula (bytes/param × parameters, 16-byte aligned per variable) and
//     the steady state: tensors and wasm bytes added per step after the first.
//  2. Under a hard cap: the widest MLP each optimizer trains within 64 MiB of wasm
//     memory. The cap is enforced, not computed: the child rewrites the maximum of the
//     memory that tfjs-wasm's binary declares (65536 pages = 4 GiB) to the cap before
//     instantiation, so memory.grow fails past it; tfjs-wasm does not check malloc's
//     result, so the child wraps _malloc to throw on 0. Binary search on W, one child
//     process per probe (a failed malloc leaves the heap unusable).
// Writes bench/results/memory_footprint.{json,md}.
// Usage: node bench/memory_footprint.mjs [--quick]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { machine, load, writeResults } from './support.mjs';


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

async function parent(quick) {
  const loadBefore = load();
  const WIDTH = quick ? 256 : 1024, STEPS = quick ? 12 : 30, WARMUP = 10, CAP_MIB = 64;
  const footprint = {};
  for (const name of Object.keys(OPTIMIZERS)) {
    footprint[name] = runChild({ name, width: WIDTH, steps: STEPS, warmup: WARMUP });
    console.error(name, JSON.stringify(footprint[name]));
  }
  const cap = {};
  for (const name of Object.keys(OPTIMIZERS)) {
    if (name === 'gradients only') continue;
    // Largest W (a multiple of 16) whose 5 steps fit: invariant fits(lo), !fits(hi).
    let lo = 16, hi = quick ? 1024 : 2048;
    const probes = [];
    const fits = (w) => {
      const r = runChild({ name, width: w, steps: 5, warmup: 1, capMiB: CAP_MIB });
      probes.push({ width: w, ok: r.ok, wasmBytes: r.wasm?.after });
      return r.ok;
    };
    if (!fits(lo)) { cap[name] = { width: 0, probes }; continue; }
    while (fits(hi)) hi *= 2;
    while (hi - lo > 16) {
      const mid = Math.round((lo + hi) / 32) * 16;
      if (fits(mid)) lo = mid; else hi = mid;
    }
    cap[name] = { width: lo, parameters: mlpParameters(lo), probes };
    console.error(`cap ${CAP_MIB} MiB: ${name}: W = ${lo} (${mlpParameters(lo)} parameters)`);
  }

  const mib = (b) => (b / 2 ** 20).toFixed(2);
  const rows = Object.entries(footprint).map(([name, r]) => {
    if (!r.ok) return `| ${name} | failed: ${r.error} |||||||||`;
    const formula = OPTIMIZERS[name].bytesPerParam;
    // The formula, per slab: bytes/param × parameters (each variable's length rounded up to 4), the slab to 16 bytes.
    const slabs = r.arena ? Object.keys(r.arena.bytesPerKind).length : 0;
    const expected = slabs * Math.ceil((r.alignedParameters * formula) / slabs / 16) * 16;
    const check = formula ? (r.arena.stateBytes === expected ? `= formula ${formula} ✓` : `≠ formula ${formula} (${expected}) ✗`) : '';
    const kinds = r.arena ? Object.entries(r.arena.bytesPerKind).map(([k, b]) => `${k} ${mib(b)}`).join(', ') : '';
    return `| ${name} | ${mib(r.stateBytes)} | ${(r.stateBytes / r.parameters).toFixed(2)} ${check} | ${kinds} | ${mib(r.wasm.after)} | ${mib(r.wasm.after - r.wasm.before)} | ${r.perStep.tensors} | ${r.perStep.wasmBytes} (${Math.round(r.warmupPerStep.wasmBytes)}) | ${mib(r.jsHeapUsed)} | ${mib(r.maxRSS)} |`;
  });
  const capRows = Object.entries(cap).map(([name, c]) => `| ${name} | ${c.width} | ${c.width ? (c.parameters / 1e6).toFixed(3) : 0} M |`);
  const params = footprint['FSAM (SGD-m)'].parameters;
  const md = [
    `**Memory per optimizer**: MLP 784-${WIDTH}-${WIDTH}-10 (${params.toLocaleString('en')} parameters, ${mib(params * 4)} MiB of weights), batch 32, ${STEPS} steps, one child process each.`,
    'State: the arena for fsam-edge (layout bytes), the tensors the optimizer keeps for tfjs\'s and the tfjs-ops F-SAM (tf.memory() after the steps minus before).',
    `wasm: tfjs-wasm's memory after the steps (it only grows, so this is its peak) and its growth from before the first step. Per step: the steady state, steps ${WARMUP + 1}…${STEPS} (in brackets: steps 2…${WARMUP}, where tfjs's heap may still settle).`, '',
    '| optimizer | state MiB | state bytes/param | arena slabs MiB | wasm MiB | wasm growth MiB | tensors/step | wasm bytes/step | JS heap MiB | peak RSS MiB |',
    '|---|---:|---:|---|---:|---:|---:|---:|---:|---:|',
    ...rows, '',
    `**Under a hard cap of ${CAP_MIB} MiB of wasm memory** (enforced: tfjs-wasm's memory maximum rewritten to ${CAP_MIB} MiB; it starts at 16 MiB): the widest MLP 784-W-W-10 (batch 32) that completes 5 steps, W to 16.`, '',
    '| optimizer | widest W | parameters |', '|---|---:|---:|', ...capRows,
  ].join('\n');
  const result = { benchmark: 'memory_footprint', machine: machine(), date: new Date().toISOString(), command: 'npm run bench',
    loadavg: { before: loadBefore, after: load() }, width: WIDTH, steps: STEPS, capMiB: CAP_MIB, footprint, cap };
  console.log(JSON.stringify(result));
  console.log(`\n${md}\n`);
  if (!quick) writeResults('memory_footprint', result, `${result.machine}\n\n${md}`);
}

function mlpParameters(w) { return 784 * w + w + w * w + w + w * 10 + 10; }

/** Rewrites the maximum (pages) of the memory a wasm binary defines; other bytes unchanged. */
function capMemory(bytes, maxPages) {
  const b = new Uint8Array(bytes);
  const leb = (i) => { let r = 0, s = 0, x; do { x = b[i++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80); return [r, i]; };
  const enc = (v) => { const out = []; do { let x = v & 0x7f; v = Math.floor(v / 128); if (v) x |= 0x80; out.push(x); } while (v); return out; };
  let i = 8;
  while (i < b.length) {
    const id = b[i];
    const [size, body] = leb(i + 1);
    if (id === 5) {
      const [count, at] = leb(body);
      if (count !== 1 || !(b[at] & 1)) throw new Error('expected one memory with a maximum');
      const [min, afterMin] = leb(at + 1);
      const [, end] = leb(afterMin);
      const section = [...enc(1), b[at], ...enc(min), ...enc(maxPages)];
      const rest = b.subarray(end, body + size);
      const out = new Uint8Array(i + 1 + enc(section.length + rest.length).length + section.length + rest.length + (b.length - body - size));
      let o = 0;
      const put = (a) => { out.set(a, o); o += a.length; };
      put(b.subarray(0, i + 1)); put(enc(section.length + rest.length)); put(section); put(rest); put(b.subarray(body + size));
      return out.buffer;
    }
    i = body + size;
  }
  throw new Error('no memory section');
}

async function child({ name, width, steps, warmup, capMiB }) {
  if (capMiB) {
    const isTfjs = (bytes) => bytes.byteLength > 100_000; // fsam-edge's own modules are a few KiB
    const instantiate = WebAssembly.instantiate.bind(WebAssembly);
    WebAssembly.instantiate = (src, imports) => (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) && isTfjs(src)
      ? instantiate(capMemory(src instanceof ArrayBuffer ? src : src.buffer.slice(src.byteOffset, src.byteOffset + src.byteLength), capMiB * 16), imports)
      : instantiate(src, imports);
    WebAssembly.instantiateStreaming = async (source, imports) => WebAssembly.instantiate(await (await source).arrayBuffer(), imports);
  }
  const { ready, tf, FSAM, SAM, wasmMemory } = await import('../dist/fsam-edge.js');
  const { tfjsOpsFsam } = await import('./tfjs_ops_fsam.mjs');
  await ready();
  const memory = wasmMemory();
  if (capMiB && memory.buffer.byteLength > capMiB * 2 ** 20) throw new Error('cap not applied');
  const backend = tf.backend();
  const malloc = backend.wasm._malloc;
  backend.wasm._malloc = (n) => {
    const p = malloc(n);
    if (p === 0 && n > 0) throw new RangeError(`wasm heap exhausted: malloc(${n}) failed`);
    return p;
  };
  const out = { name, width, ok: false };
  try {
    const before = { wasm: memory.buffer.byteLength };
    const r = (shape, seed) => tf.randomNormal(shape, 0, 0.05, 'float32', seed);
    const shapes = [[784, width], [width], [width, width], [width], [width, 10], [10]];
    const vars = shapes.map((s, i) => tf.variable(r(s, i + 1), true, `mlp/v${i}`));
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
      wasm: { initial: before.wasm, before: before.wasmModel, after: memory.buffer.byteLength },
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
