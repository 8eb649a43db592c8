// The conformance scenario: the same training run in every runtime, ending in a hash of
// the final weights that must be bit-identical everywhere (Node, Deno, Chromium, arm64).
// It takes the loaded bundle as `lib` so each runtime imports it its own way and the
// scenario never loads a second copy of tfjs.
//
// Everything that could differ between engines is kept out: weights come from our own
// seeded PRNG (not tf.random), the data is a fixed fixture, the hash is plain integer
// arithmetic over the weights' bytes (little-endian on every target we run).
import { size, labels, pixelsMilli } from './digits.js';

export const SEED = 20240312;
export const STEPS = 50;
export const BATCH = 20;
export const LEARNING_RATE = 0.1;
const FILTERS = 8;          // conv 3×3, stride 2, valid: 28×28×1 → 13×13×8
const OUT = Math.floor((size - 3) / 2) + 1;
const CLASSES = 10;

// ─── The optimizer: the one line to change when F-SAM lands (issues 2, 3) ────────────
// e.g. `new lib.FSAM({ learningRate: LEARNING_RATE, rho: 0.05 })`. Any tf.Optimizer works:
// the scenario only calls minimize(lossFn, true, variables).
const makeOptimizer = (lib) => lib.tf.train.sgd(LEARNING_RATE);

// ─── The convolution: 3×3, stride 2, valid, one input channel ────────────────────────
// tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, so the filter gradient of
// tf.conv2d fails on 'wasm'. Until issue 4 registers it, the convolution runs as im2col:
// the patches are exact copies of input pixels (made in JS, no arithmetic), and the conv
// is a matMul with the [9, FILTERS] filter. When the kernel exists, set CONV to 'conv2d'
// (the hash changes: XNNPACK's conv sums in another order).
const CONV = 'im2col';

function conv3x3s2(tf, batch, filter) {
  if (CONV === 'conv2d') {
    return tf.conv2d(batch.images, tf.reshape(filter, [3, 3, 1, FILTERS]), 2, 'valid');
  }
  const n = batch.images.shape[0];
  return tf.reshape(tf.matMul(batch.patches, filter), [n, OUT, OUT, FILTERS]);
}

/** mulberry32: a 32-bit seeded PRNG in integer arithmetic, the same in every engine. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Glorot-uniform values from the PRNG; only +, ×, sqrt (correctly rounded everywhere). */
function glorot(random, count, fanIn, fanOut) {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (2 * random() - 1) * limit;
  return out;
}

/** FNV-1a, 64-bit, over the bytes of each array in order; 16 hex digits. */
export function fnv1a64(arrays) {
  let h = 0xcbf29ce484222325n;
  for (const a of arrays) {
    for (const byte of new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) {
      h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 0x100000001b3n);
    }
  }
  return h.toString(16).padStart(16, '0');
}

function runtimeName() {
  const g = globalThis;
  if (g.Deno?.version) return `deno ${g.Deno.version.deno} ${g.Deno.build.arch}`;
  if (g.process?.versions?.node) return `node ${g.process.version} ${g.process.arch}`;
  return g.navigator?.userAgent ?? 'unknown';
}

/** The fixture as float32 images [N, 28, 28, 1] and their im2col patches [N·13·13, 9]. */
function loadDigits() {
  const n = labels.length, px = size * size;
  const images = new Float32Array(n * px);
  for (let i = 0; i < n; i++) for (let j = 0; j < px; j++) images[i * px + j] = pixelsMilli[i][j] / 1000;
  const patches = new Float32Array(n * OUT * OUT * 9);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < OUT; r++) {
      for (let c = 0; c < OUT; c++) {
        for (let dr = 0; dr < 3; dr++) {
          for (let dc = 0; dc < 3; dc++) patches[k++] = images[i * px + (2 * r + dr) * size + 2 * c + dc];
        }
      }
    }
  }
  return { n, images, patches };
}

function batchAt(tf, digits, step) {
  const batches = digits.n / BATCH;
  const start = (step % batches) * BATCH;
  const px = size * size, pp = OUT * OUT * 9;
  const oneHot = new Float32Array(BATCH * CLASSES);
  for (let i = 0; i < BATCH; i++) oneHot[i * CLASSES + labels[start + i]] = 1;
  return {
    images: tf.tensor4d(digits.images.subarray(start * px, (start + BATCH) * px), [BATCH, size, size, 1]),
    patches: tf.tensor2d(digits.patches.subarray(start * pp, (start + BATCH) * pp), [BATCH * OUT * OUT, 9]),
    oneHot: tf.tensor2d(oneHot, [BATCH, CLASSES]),
  };
}

/**
 * Trains the CNN (conv 3×3/2 + ReLU → dense 10, mean softmax cross-entropy) for STEPS
 * steps and returns the hash of the final weights with a few facts to compare.
 */
export async function run(lib) {
  const { tf } = lib;
  await lib.ready();
  const started = Date.now();
  const random = mulberry32(SEED);
  const flat = OUT * OUT * FILTERS;
  const weights = {
    convW: tf.variable(tf.tensor2d(glorot(random, 9 * FILTERS, 9, FILTERS), [9, FILTERS]), true, 'conv/kernel'),
    convB: tf.variable(tf.zeros([FILTERS]), true, 'conv/bias'),
    denseW: tf.variable(tf.tensor2d(glorot(random, flat * CLASSES, flat, CLASSES), [flat, CLASSES]), true, 'dense/kernel'),
    denseB: tf.variable(tf.zeros([CLASSES]), true, 'dense/bias'),
  };
  const variables = Object.values(weights);
  const logits = (batch) => {
    const h = tf.relu(tf.add(conv3x3s2(tf, batch, weights.convW), weights.convB));
    return tf.add(tf.matMul(tf.reshape(h, [batch.images.shape[0], flat]), weights.denseW), weights.denseB);
  };
  const lossOf = (batch) => tf.neg(tf.mean(tf.sum(tf.mul(batch.oneHot, tf.logSoftmax(logits(batch))), 1)));

  const digits = loadDigits();
  const optimizer = makeOptimizer(lib);
  const losses = [];
  for (let step = 0; step < STEPS; step++) {
    const batch = batchAt(tf, digits, step);
    const loss = optimizer.minimize(() => lossOf(batch), true, variables);
    losses.push(loss.dataSync()[0]);
    loss.dispose();
    for (const t of Object.values(batch)) t.dispose();
  }

  const finalWeights = variables.map((v) => v.dataSync());
  const accuracy = trainingAccuracy(tf, digits, logits);
  const result = {
    hash: fnv1a64(finalWeights),
    lossHash: fnv1a64([Float32Array.from(losses)]),
    runtime: runtimeName(),
    backend: tf.getBackend(),
    steps: STEPS,
    parameters: finalWeights.reduce((s, w) => s + w.length, 0),
    firstLoss: losses[0],
    lastLoss: losses[losses.length - 1],
    accuracy,
    ms: Date.now() - started,
  };
  optimizer.dispose();
  for (const v of variables) v.dispose();
  return result;
}

function trainingAccuracy(tf, digits, logits) {
  let correct = 0;
  for (let step = 0; step < digits.n / BATCH; step++) {
    const batch = batchAt(tf, digits, step);
    const predicted = tf.tidy(() => tf.argMax(logits(batch), 1)).dataSync();
    const start = step * BATCH;
    for (let i = 0; i < BATCH; i++) if (predicted[i] === labels[start + i]) correct++;
    for (const t of Object.values(batch)) t.dispose();
  }
  return correct / digits.n;
}
