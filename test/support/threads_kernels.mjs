// Child process of test/threads.test.mjs (ready() takes threads once per process): with
// ready({ threads }), every kernel fsam-edge splits over the threads, on random
// configurations, called whole (split threshold ∞) and in as many chunks as it can be cut
// into (threshold 0), must give the same bits. Prints one JSON line:
// { threads, configurations, splitCalls, mismatches: [...] }.
import { ready, tf, setKernelSplitThreshold, wasmThreads } from '../../dist/fsam-edge.js';

const threads = Number(process.argv[2] ?? 2);
const report = await ready({ threads });

let seed = 20251130;
const rand = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32; };
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (xs) => xs[int(0, xs.length - 1)];
const tensor = (shape) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1), shape);

const mismatches = [];
let configurations = 0;

/** Runs `kernel` whole and split; records the first differing element, if any. */
function compare(what, kernel, inputs, attrs) {
  configurations++;
  const outputs = [Infinity, 0].map((threshold) => {
    setKernelSplitThreshold(threshold);
    const out = tf.engine().runKernel(kernel, inputs, attrs);
    const bits = new Uint32Array(out.dataSync().slice().buffer);
    out.dispose();
    return bits;
  });
  const [whole, split] = outputs;
  if (whole.length !== split.length) { mismatches.push(`${what}: lengths ${whole.length} ${split.length}`); return; }
  const i = whole.findIndex((v, j) => v !== split[j]);
  if (i >= 0) mismatches.push(`${what}: element ${i} of ${whole.length}: whole 0x${whole[i].toString(16)} split 0x${split[i].toString(16)}`);
}

const outSize = (n, k, s, d, pad) => (pad === 'same' ? Math.ceil(n / s) : Math.floor((n - (k - 1) * d - 1) / s) + 1);

for (let t = 0; t < 60; t++) {
  const B = int(1, 13), H = int(3, 12), W = int(3, 12), CI = pick([1, 2, 3, 4, 5, 8, 11]), CO = pick([1, 3, 4, 8, 12, 16, 21]);
  const KH = int(1, 3), KW = int(1, 3), s = int(1, 2), d = s === 1 ? int(1, 2) : 1, pad = pick(['same', 'valid']);
  const OH = outSize(H, KH, s, d, pad), OW = outSize(W, KW, s, d, pad);
  if (OH < 1 || OW < 1) continue;
  const what = JSON.stringify({ B, H, W, CI, CO, KH, KW, s, d, pad });
  const conv = { strides: s, pad, dataFormat: 'NHWC', dilations: d };
  const x = tensor([B, H, W, CI]), f = tensor([KH, KW, CI, CO]), dy = tensor([B, OH, OW, CO]);
  compare(`Conv2D ${what}`, 'Conv2D', { x, filter: f }, conv);
  compare(`Conv2DBackpropFilter ${what}`, 'Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: [KH, KW, CI, CO] });
  compare(`Conv2DBackpropInput ${what}`, 'Conv2DBackpropInput', { dy, filter: f }, { ...conv, inputShape: [B, H, W, CI] });
  tf.dispose([x, f, dy]);
}

for (let t = 0; t < 30; t++) {
  const B = int(1, 13), H = int(2, 14), W = int(2, 14), C = pick([1, 3, 4, 8, 13]);
  const fh = int(1, 3), fw = int(1, 3), s = int(1, 3), pad = pick(['same', 'valid']);
  const OH = outSize(H, fh, s, 1, pad), OW = outSize(W, fw, s, 1, pad);
  if (OH < 1 || OW < 1) continue;
  const input = tf.tensor(Float32Array.from({ length: B * H * W * C }, () => int(-3, 3)), [B, H, W, C]); // ties are common
  const dy = tensor([B, OH, OW, C]);
  compare(`MaxPoolGrad ${JSON.stringify({ B, H, W, C, fh, fw, s, pad })}`, 'MaxPoolGrad', { dy, input, output: dy },
    { filterSize: [fh, fw], strides: s, pad });
  compare(`MaxPool ${JSON.stringify({ B, H, W, C, fh, fw, s, pad })}`, 'MaxPool', { x: input }, { filterSize: [fh, fw], strides: s, pad });
  tf.dispose([input, dy]);
}

for (let t = 0; t < 40; t++) {
  const M = int(1, 70), K = int(1, 40), N = int(1, 45), ta = rand() < 0.5, tb = rand() < 0.5;
  const a = tensor(ta ? [K, M] : [M, K]), b = tensor(tb ? [N, K] : [K, N]);
  compare(`BatchMatMul ${JSON.stringify({ M, K, N, ta, tb })}`, 'BatchMatMul', { a, b }, { transposeA: ta, transposeB: tb });
  tf.dispose([a, b]);
}

for (let t = 0; t < 20; t++) {
  const shape = [int(1, 40), int(1, 9), pick([1, 3, 8])];
  const x = tensor(shape), dy = tensor(shape), bias = tensor([shape[2]]);
  compare(`FsamReluGrad ${JSON.stringify(shape)}`, 'FsamReluGrad', { dy, x }, {});
  compare(`Relu ${JSON.stringify(shape)}`, 'Relu', { x }, {});
  compare(`Add (bias) ${JSON.stringify(shape)}`, 'Add', { a: x, b: bias }, {});
  tf.dispose([x, dy, bias]);
}

console.log(JSON.stringify({ threads: report.wasm.threads, configurations, splitCalls: wasmThreads().splitKernelCalls, mismatches }));
