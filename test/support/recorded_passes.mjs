// Recorded gradient passes built by hand (the shape of src/replay/ops.ts), as tfjs records
// a conv block of the study CNN on 'wasm' — Conv2D, the bias Add, Relu, MaxPool, the
// Identity clones tfjs's engine saves for the backward pass, then MaxPoolGrad, the ReLU
// gradient, the bias gradient's Sum and Reshapes, and the conv gradients — and a runner
// that executes a pass op by op through tf.getKernel(name, 'wasm').kernelFunc, with no
// engine, returning the bits of every result slot.
// Used by test/fuse_memory_passes.test.mjs, its 2-thread child and bench/fused_passes.mjs.

/** A pass under construction: slot infos, ops, externals, results. */
export function newPass() {
  const pass = { ops: [], infos: [], external: new Set(), results: new Set() };
  const slot = (shape, dtype = 'float32') => pass.infos.push({ shape, dtype }) - 1;
  const op = (kernelName, inputs, attrs, ...shapes) => {
    const outputs = shapes.map((s) => slot(s));
    pass.ops.push({ kernelName, inputs, attrs, outputs });
    return outputs.length === 1 ? outputs[0] : outputs;
  };
  const input = (shape) => { const s = slot(shape); pass.external.add(s); return s; };
  return { pass, slot, op, input };
}

const CONV = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] };
const POOL = { filterSize: [2, 2], strides: [2, 2], pad: 'valid' };
const id = (b, s) => b.op('Identity', { x: s }, {}, b.pass.infos[s].shape);

/**
 * The forward of one block, conv k×k 'valid' + bias + ReLU + 2×2 max-pool, with tfjs's
 * clones of the tensors each op's gradient saves. Returns the slots the backward needs.
 */
export function blockForward(b, x, w, bias, { k = 3, pool = POOL } = {}) {
  const [B, H, W] = b.pass.infos[x].shape, CO = b.pass.infos[w].shape[3];
  const OH = H - k + 1, OW = W - k + 1;
  const a = b.op('Conv2D', { x, filter: w }, CONV, [B, OH, OW, CO]);
  const xc = id(b, x), wc = id(b, w);
  const z = b.op('Add', { a, b: bias }, {}, [B, OH, OW, CO]);
  id(b, a); id(b, bias); // Add saves both operands (for their shapes)
  const y = b.op('Relu', { x: z }, {}, [B, OH, OW, CO]);
  const zc = id(b, z);
  const [PH, PW] = [Math.floor((OH - pool.filterSize[0]) / pool.strides[0]) + 1, Math.floor((OW - pool.filterSize[1]) / pool.strides[1]) + 1];
  const p = b.op('MaxPool', { x: y }, pool, [B, PH, PW, CO]);
  const yc = id(b, y), pc = id(b, p);
  return { x: xc, w: wc, z: zc, y: yc, p, pc, pool, convOut: [B, OH, OW, CO], inShape: [B, H, W, b.pass.infos[x].shape[3]], wShape: b.pass.infos[w].shape };
}

/** The backward of one block from dp (the pool output's gradient): [dx or undefined, dw, db]. */
export function blockBackward(b, f, dp, { inputGrad = true, sumOfReshape = false } = {}) {
  const g = b.op('MaxPoolGrad', { dy: dp, input: f.y, output: f.pc }, f.pool, f.convOut);
  const r = b.op('FsamReluGrad', { dy: g, x: f.z }, {}, f.convOut);
  const ra = b.op('Reshape', { x: r }, { shape: f.convOut }, f.convOut);
  const s = b.op('Sum', { x: sumOfReshape ? ra : r }, { axis: [0, 1, 2], keepDims: false }, [f.convOut[3]]);
  const db = b.op('Reshape', { x: s }, { shape: [f.convOut[3]] }, [f.convOut[3]]);
  const dx = inputGrad ? b.op('Conv2DBackpropInput', { dy: ra, filter: f.w }, { ...CONV, inputShape: f.inShape }, f.inShape) : undefined;
  const dw = b.op('Conv2DBackpropFilter', { x: f.x, dy: ra }, { ...CONV, filterShape: f.wShape }, f.wShape);
  return [dx, dw, db];
}

/**
 * The study CNN's two conv blocks, forward and backward, as one recorded pass: input
 * [B, H, W, CI], conv 3×3 → C1, pool, conv 3×3 → C2, pool; the upstream gradient of the
 * second pool's output is external. Results: the second pool's output and the four
 * gradients. `slots` names them.
 */
export function studyChainPass({ B = 4, H = 28, W = 28, CI = 1, C1 = 8, C2 = 16, sumOfReshape = false } = {}) {
  const b = newPass();
  const x = b.input([B, H, W, CI]), w1 = b.input([3, 3, CI, C1]), b1 = b.input([C1]);
  const w2 = b.input([3, 3, C1, C2]), b2 = b.input([C2]);
  const f1 = blockForward(b, x, w1, b1);
  const f2 = blockForward(b, f1.p, w2, b2);
  const dp2 = b.input(b.pass.infos[f2.p].shape);
  const [dp1, dw2, db2] = blockBackward(b, f2, dp2, { sumOfReshape });
  const [, dw1, db1] = blockBackward(b, f1, dp1, { inputGrad: false, sumOfReshape });
  for (const s of [f2.p, dw1, db1, dw2, db2]) b.pass.results.add(s);
  return { pass: b.pass, slots: { x, w1, b1, w2, b2, dp2, p2: f2.p, dw1, db1, dw2, db2 } };
}

/** Random feeds for every external slot: uniform in [−1, 1) from a seeded generator, with `special` values sprinkled. */
export function feedsFor(pass, seed = 1, special = []) {
  let s = seed >>> 0;
  const rand = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
  const feeds = new Map();
  for (const slot of pass.external) {
    const n = pass.infos[slot].shape.reduce((a, c) => a * c, 1);
    const data = Float32Array.from({ length: n }, () => rand() * 2 - 1);
    if (special.length > 0) for (let i = 0; i < n; i++) if (rand() < 0.02) data[i] = special[Math.floor(rand() * special.length)];
    feeds.set(slot, data);
  }
  return feeds;
}

/** Runs `pass` op by op on 'wasm' (kernelFunc, no engine); returns slot → Uint32Array bits of every result. */
export function runPass(tf, pass, feeds) {
  const backend = tf.findBackend('wasm');
  const live = new Map(), made = [];
  const tensors = [];
  for (const slot of pass.external) {
    const t = tf.tensor(feeds.get(slot), pass.infos[slot].shape, pass.infos[slot].dtype);
    tensors.push(t);
    live.set(slot, { dataId: t.dataId, shape: t.shape, dtype: t.dtype });
  }
  for (const op of pass.ops) {
    const kernel = tf.getKernel(op.kernelName, 'wasm');
    if (!kernel) throw new Error(`no ${op.kernelName} kernel registered for 'wasm'`);
    const inputs = Object.fromEntries(Object.entries(op.inputs).map(([k, s]) => {
      if (!live.has(s)) throw new Error(`${op.kernelName}: input ${k} reads slot ${s}, not made yet`);
      return [k, live.get(s)];
    }));
    const out = kernel.kernelFunc({ inputs, attrs: op.attrs, backend });
    const outs = Array.isArray(out) ? out : [out];
    if (outs.length !== op.outputs.length) throw new Error(`${op.kernelName} gave ${outs.length} outputs, the op names ${op.outputs.length}`);
    op.outputs.forEach((s, i) => {
      const want = pass.infos[s].shape;
      if (String(outs[i].shape) !== String(want)) throw new Error(`${op.kernelName} output ${i}: shape ${outs[i].shape}, slot ${s} holds ${want}`);
      live.set(s, outs[i]); made.push(outs[i]);
    });
  }
  const bits = new Map();
  for (const s of pass.results) {
    const data = backend.readSync(live.get(s).dataId);
    bits.set(s, new Uint32Array(Float32Array.from(data).buffer));
  }
  for (const info of made) backend.disposeData(info.dataId);
  tf.dispose(tensors);
  return bits;
}

const isNaNBits = (v) => (v & 0x7f800000) === 0x7f800000 && (v & 0x7fffff) !== 0;

/**
 * The first result slot whose bits differ, as a message, or null. With `nanAsOne`, every
 * NaN counts as one value: which NaN an operation on two different NaNs returns (x86's
 * default NaN has the sign bit set, JavaScript's does not) is left open by WebAssembly and
 * follows the operand order the engine's compiler picked, which no kernel controls.
 */
export function firstDifference(a, b, { nanAsOne = false } = {}) {
  for (const [slot, x] of a) {
    const y = b.get(slot);
    if (!y || y.length !== x.length) return `slot ${slot}: lengths ${x.length} and ${y?.length}`;
    const i = x.findIndex((v, j) => v !== y[j] && !(nanAsOne && isNaNBits(v) && isNaNBits(y[j])));
    if (i >= 0) return `slot ${slot} element ${i} of ${x.length}: 0x${x[i].toString(16)} and 0x${y[i].toString(16)}`;
  }
  return null;
}
