// Times fsam-edge's training kernels on 'wasm' against (a) tfjs-backend-cpu, today's
// only way to train these layers, (b) the wasm backend's forward op on the same layer
// (XNNPACK for convs, Gather for the segment sum), the near-limit reference, and (c) for
// Conv2DBackpropInput and MaxPoolGrad, tfjs-wasm's own kernels, which fsam-edge replaces.
// Prints a JSON line, then a markdown table. Target: each backprop ≤ 2× its forward.
//   node bench/training_kernels.mjs [--quick]
import { execFileSync } from 'node:child_process';
import { bundleTest } from '../test/tfjs-core-ops/bundle.mjs';

const entry = `
import { ready, tf } from './src/index.ts';
import '@tensorflow/tfjs-backend-cpu';
const quick = ${process.argv.includes('--quick')};
// tfjs-wasm's own Conv2DBackpropInput, kept before ready() replaces it (its setup runs
// when the backend starts, inside ready()).
const wasmOwnBackpropInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
const wasmOwnMaxPoolGrad = tf.getKernel('MaxPoolGrad', 'wasm');
const wasmOwnBatchMatMul = tf.getKernel('BatchMatMul', 'wasm');
await ready();

// Median of repeated runs within a time budget, after one warm-up run; a kernel whose
// warm-up alone exceeds the budget (tfjs-cpu's UnsortedSegmentSum) is timed by that run.
function time(fn, budgetMs) {
  const w0 = performance.now();
  fn();
  const warm = performance.now() - w0;
  if (warm > budgetMs) return warm;
  const times = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < budgetMs && times.length < 200)) {
    const t0 = performance.now(); fn(); times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

function runKernel(name, inputs, attrs) {
  return () => tf.dispose(tf.engine().runKernel(name, inputs, attrs));
}

const convs = [
  { layer: 'conv 3x3 s1 32x32x16->16, batch 8', x: [8, 32, 32, 16], f: [3, 3, 16, 16], s: 1, d: 1, pad: 'same' },
  { layer: 'conv 3x3 s1 16x16x32->64, batch 8', x: [8, 16, 16, 32], f: [3, 3, 32, 64], s: 1, d: 1, pad: 'same' },
  { layer: 'conv 3x3 s2 32x32x16->32, batch 8', x: [8, 32, 32, 16], f: [3, 3, 16, 32], s: 2, d: 1, pad: 'same' },
  { layer: 'conv 3x3 s2 64x64x3->16 (stem), batch 8', x: [8, 64, 64, 3], f: [3, 3, 3, 16], s: 2, d: 1, pad: 'same' },
  { layer: 'conv 1x1 16x16x64->64, batch 8', x: [8, 16, 16, 64], f: [1, 1, 64, 64], s: 1, d: 1, pad: 'valid' },
  { layer: 'conv 3x3 d2 16x16x32->32, batch 8', x: [8, 16, 16, 32], f: [3, 3, 32, 32], s: 1, d: 2, pad: 'same' },
  // The first layers of the native-peer models (bench/native_peer.mjs): one input channel.
  { layer: 'conv 3x3 s1 28x28x1->8 (study conv1), batch 128', x: [128, 28, 28, 1], f: [3, 3, 1, 8], s: 1, d: 1, pad: 'valid' },
  { layer: 'conv 5x5 s2 28x28x1->8 (default conv1), batch 32', x: [32, 28, 28, 1], f: [5, 5, 1, 8], s: 2, d: 1, pad: 'valid' },
];
const depthwise = [
  { layer: 'depthwise 3x3 s1 32x32x32, batch 8', x: [8, 32, 32, 32], f: [3, 3, 32, 1], s: 1, d: 1, pad: 'same' },
  { layer: 'depthwise 3x3 s2 32x32x32, batch 8', x: [8, 32, 32, 32], f: [3, 3, 32, 1], s: 2, d: 1, pad: 'same' },
  { layer: 'depthwise 3x3 s1 16x16x64, batch 8', x: [8, 16, 16, 64], f: [3, 3, 64, 1], s: 1, d: 1, pad: 'same' },
  { layer: 'depthwise 3x3 s1 16x16x16 x2 (multiplier), batch 8', x: [8, 16, 16, 16], f: [3, 3, 16, 2], s: 1, d: 1, pad: 'same' },
];
const rows = [];
const budget = quick ? 150 : 600, cpuBudget = quick ? 300 : 1500;

function bench(kind, c) {
  tf.setBackend('wasm');
  const x = tf.randomNormal(c.x), f = tf.randomNormal(c.f);
  const fwdName = kind === 'conv' ? 'Conv2D' : 'DepthwiseConv2dNative';
  const attrs = { strides: [c.s, c.s], pad: c.pad, dilations: [c.d, c.d], dataFormat: 'NHWC' };
  const y = tf.engine().runKernel(fwdName, { x, filter: f }, attrs);
  const dy = tf.randomNormal(y.shape);
  const forward = time(runKernel(fwdName, { x, filter: f }, attrs), budget);
  const names = kind === 'conv' ? ['Conv2DBackpropFilter', 'Conv2DBackpropInput']
    : ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];
  const inputsOf = (name) => name.endsWith('Filter') ? { x, dy } : { dy, filter: f };
  const attrsOf = (name) => ({ ...attrs, ...(name.endsWith('Filter') ? { filterShape: c.f } : { inputShape: c.x }) });
  for (const name of names) {
    const ours = time(runKernel(name, inputsOf(name), attrsOf(name)), budget);
    let wasmOwn = null;
    if (name === 'Conv2DBackpropInput' && c.d === 1) {
      const backend = tf.backend();
      wasmOwn = time(() => { const o = wasmOwnBackpropInput.kernelFunc({ inputs: inputsOf(name), backend, attrs: attrsOf(name) });
        backend.disposeData(o.dataId); }, budget);
    }
    let cpu = null;
    if (c.d === 1) { // tfjs-cpu's backprops ignore dilations
      tf.setBackend('cpu');
      const xi = tf.tensor(x.dataSync(), x.shape), fi = tf.tensor(f.dataSync(), f.shape), dyi = tf.tensor(dy.dataSync(), dy.shape);
      const inputs = name.endsWith('Filter') ? { x: xi, dy: dyi } : { dy: dyi, filter: fi };
      cpu = time(runKernel(name, inputs, attrsOf(name)), cpuBudget);
      tf.dispose([xi, fi, dyi]);
      tf.setBackend('wasm');
    }
    rows.push({ kernel: name, layer: c.layer, ms: ours, forwardMs: forward, vsForward: ours / forward,
      cpuMs: cpu, speedupVsCpu: cpu && cpu / ours, wasmOwnMs: wasmOwn, speedupVsWasmOwn: wasmOwn && wasmOwn / ours });
  }
  tf.dispose([x, f, y, dy]);
}

for (const c of convs) bench('conv', c);
for (const c of depthwise) bench('depthwise', c);

// Embedding gradient: UnsortedSegmentSum of [batch·length, dim] rows into [vocab, dim].
for (const [B, L, V, D] of [[32, 32, 5000, 64], [64, 16, 1000, 128]]) {
  tf.setBackend('wasm');
  const table = tf.randomNormal([V, D]);
  const ids = tf.tensor1d(Array.from({ length: B * L }, (_, i) => (i * 7919) % V), 'int32');
  const rowsT = tf.randomNormal([B * L, D]);
  const layer = 'embedding ' + V + 'x' + D + ', ' + B * L + ' ids';
  const forward = time(runKernel('GatherV2', { x: table, indices: ids }, { axis: 0, batchDims: 0 }), budget);
  const ours = time(runKernel('UnsortedSegmentSum', { x: rowsT, segmentIds: ids }, { numSegments: V }), budget);
  tf.setBackend('cpu');
  const ri = tf.tensor(rowsT.dataSync(), rowsT.shape), ii = tf.tensor(ids.dataSync(), ids.shape, 'int32');
  const cpu = time(runKernel('UnsortedSegmentSum', { x: ri, segmentIds: ii }, { numSegments: V }), cpuBudget);
  tf.dispose([ri, ii]);
  tf.setBackend('wasm');
  rows.push({ kernel: 'UnsortedSegmentSum', layer, ms: ours, forwardMs: forward, vsForward: ours / forward,
    cpuMs: cpu, speedupVsCpu: cpu / ours, wasmOwnMs: null, speedupVsWasmOwn: null });
  tf.dispose([table, ids, rowsT]);
}
// Max pooling's gradient, against the forward MaxPool and tfjs-wasm's own MaxPoolGrad.
for (const [shape, size, stride, pad] of [[[128, 26, 26, 8], 2, 2, 'valid'], [[128, 11, 11, 16], 2, 2, 'valid'], [[8, 32, 32, 32], 3, 2, 'same']]) {
  tf.setBackend('wasm');
  const x = tf.randomNormal(shape);
  const attrs = { filterSize: [size, size], strides: [stride, stride], pad };
  const y = tf.engine().runKernel('MaxPool', { x }, attrs);
  const dy = tf.randomNormal(y.shape);
  const layer = 'max pool ' + size + 'x' + size + ' s' + stride + ' ' + pad + ' on ' + shape.join('x');
  const inputs = { dy, input: x, output: y };
  const forward = time(runKernel('MaxPool', { x }, attrs), budget);
  const ours = time(runKernel('MaxPoolGrad', inputs, attrs), budget);
  const backend = tf.backend();
  const wasmOwn = time(() => backend.disposeData(wasmOwnMaxPoolGrad.kernelFunc({ inputs, backend, attrs }).dataId), budget);
  tf.setBackend('cpu');
  const xi = tf.tensor(x.dataSync(), x.shape), yi = tf.tensor(y.dataSync(), y.shape), dyi = tf.tensor(dy.dataSync(), dy.shape);
  const cpu = time(runKernel('MaxPoolGrad', { dy: dyi, input: xi, output: yi }, attrs), cpuBudget);
  tf.dispose([xi, yi, dyi]);
  tf.setBackend('wasm');
  rows.push({ kernel: 'MaxPoolGrad', layer, ms: ours, forwardMs: forward, vsForward: ours / forward,
    cpuMs: cpu, speedupVsCpu: cpu / ours, wasmOwnMs: wasmOwn, speedupVsWasmOwn: wasmOwn / ours });
  tf.dispose([x, y, dy]);
}
// A dense layer's backward products (transposed operands) against its forward product
// through tfjs-wasm's own kernel (XNNPACK, with its operator cached on W as inference
// would have it: in training W changes every step and the operator is re-created), and
// fsam-edge's forward product too.
for (const [B, I, O] of [[128, 400, 64], [32, 400, 32], [128, 784, 64], [64, 256, 128]]) {
  tf.setBackend('wasm');
  const x = tf.randomNormal([1, B, I]), w = tf.randomNormal([1, I, O]), dy = tf.randomNormal([1, B, O]);
  const backend = tf.backend();
  const plain = { transposeA: false, transposeB: false };
  const forward = time(() => backend.disposeData(wasmOwnBatchMatMul.kernelFunc({ inputs: { a: x, b: w }, backend, attrs: plain }).dataId), budget);
  const oursForward = time(runKernel('BatchMatMul', { a: x, b: w }, plain), budget);
  rows.push({ kernel: 'BatchMatMul', layer: 'dense ' + I + '->' + O + ', batch ' + B + ': y = x·W', ms: oursForward, forwardMs: forward,
    vsForward: oursForward / forward, cpuMs: null, speedupVsCpu: null, wasmOwnMs: forward, speedupVsWasmOwn: forward / oursForward });
  for (const [what, inputs, attrs] of [['dx = dy·Wᵀ', { a: dy, b: w }, { transposeA: false, transposeB: true }],
    ['dW = xᵀ·dy', { a: x, b: dy }, { transposeA: true, transposeB: false }]]) {
    const ours = time(runKernel('BatchMatMul', inputs, attrs), budget);
    const wasmOwn = time(() => backend.disposeData(wasmOwnBatchMatMul.kernelFunc({ inputs, backend, attrs }).dataId), budget);
    rows.push({ kernel: 'BatchMatMul (transposed)', layer: 'dense ' + I + '->' + O + ', batch ' + B + ': ' + what, ms: ours, forwardMs: forward,
      vsForward: ours / forward, cpuMs: null, speedupVsCpu: null, wasmOwnMs: wasmOwn, speedupVsWasmOwn: wasmOwn / ours });
  }
  tf.dispose([x, w, dy]);
}
console.log(JSON.stringify({ bench: 'training_kernels', node: process.version, date: new Date().toISOString(), rows }));
`;

const bundle = await bundleTest('bench-training-kernels', entry);
const out = execFileSync(process.execPath, [bundle], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'pipe'] });
const json = out.trim().split('\n').pop();
console.log(json);
const { rows } = JSON.parse(json);
const f = (v, d = 2) => (v == null ? '—' : v.toFixed(d));
console.log('\n| kernel | layer | ms | forward ms | × forward | cpu ms | speed-up vs cpu | tfjs-wasm own ms | speed-up vs own |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.kernel} | ${r.layer} | ${f(r.ms)} | ${f(r.forwardMs)} | ${f(r.vsForward)} | ${f(r.cpuMs, 1)} | ` +
    `${f(r.speedupVsCpu, 0)} | ${f(r.wasmOwnMs)} | ${f(r.speedupVsWasmOwn, 1)} |`);
}
