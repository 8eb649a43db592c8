// The conformance scenario: the same training run in every runtime, ending in a hash of
// the final weights that must be bit-identical everywhere (Node, Deno, Chromium, arm64).
// It takes the loaded bundle as `lib` so each runtime imports it its own way and the
// scenario never loads a second copy of tfjs.
//
// Everything that could differ between engines is kept out: weights come from our own
// seeded PRNG (not tf.random), the data is a fixed fixture, the hash is plain integer
// arithmetic over the weights' bytes (little-endian on every target we run).
// What remains is the point of the test: the same wasm binaries computing the same bits.
// Not trivially so: XNNPACK inside tfjs-backend-wasm picks its x86 or ARM flavour of
// wasmsimd microkernels at run time (by the sign of inf − inf, which is negative on x86
// and positive on ARM, also under qemu), so the arm64 run takes other kernels.
import { size, labels, pixelsMilli } from './digits.js';

export const SEED = 20240312;
export const STEPS = 50;
export const BATCH = 20;
export const LEARNING_RATE = 0.05;
export const RHO = 0.05;
const CLASSES = 10;
// Two 3×3 stride-2 valid convolutions: 28×28×1 → 13×13×8 → 6×6×16. Training them runs
// Conv2D (XNNPACK) and fsam-edge's Conv2DBackpropFilter and Conv2DBackpropInput.
const CONVS = [{ filters: 8, inChannels: 1 }, { filters: 16, inChannels: 8 }];
const outSize = (n) => Math.floor((n - 3) / 2) + 1;
const FLAT = outSize(outSize(size)) ** 2 * CONVS[1].filters;

// ─── The optimizer: the one place to change it ───────────────────────────────────────
// F-SAM with SGD (its defaults: σ 1, λ 0.6, momentum 0.9, weight decay 5e-4), run twice:
// full mode, then the low-memory mode (bf16 m and momentum, no w_old copy), each from
// the same initial weights. Any tf.Optimizer fits here: the scenario only calls
// minimize(lossFn, true, variables), so `(lib) => lib.tf.train.sgd(LEARNING_RATE)` runs
// the same scenario without F-SAM.
const makeOptimizer = (lib) => new lib.FSAM({ learningRate: LEARNING_RATE, rho: RHO });
const makeLowMemoryOptimizer = (lib) => new lib.FSAM({ learningRate: LEARNING_RATE, rho: RHO, lowMemory: true });

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

/** Glorot-uniform values from the PRNG; only +, −, ×, ÷ and sqrt, correctly rounded everywhere. */
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

/** The fixture as float32 images, [N, 28, 28, 1] row-major. */
function loadDigits() {
  const n = labels.length, px = size * size;
  const images = new Float32Array(n * px);
  for (let i = 0; i < n; i++) for (let j = 0; j < px; j++) images[i * px + j] = pixelsMilli[i][j] / 1000;
  return { n, images };
}

function batchAt(tf, digits, step) {
  const batches = digits.n / BATCH;
  const start = (step % batches) * BATCH;
  const px = size * size;
  const oneHot = new Float32Array(BATCH * CLASSES);
  for (let i = 0; i < BATCH; i++) oneHot[i * CLASSES + labels[start + i]] = 1;
  return {
    images: tf.tensor4d(digits.images.subarray(start * px, (start + BATCH) * px), [BATCH, size, size, 1]),
    oneHot: tf.tensor2d(oneHot, [BATCH, CLASSES]),
  };
}

/**
 * `readyOptions` go to ready() (e.g. { threads: 2 }: the same bits are expected).
 * Trains the CNN (two conv 3×3/2 + ReLU, dense 10, mean softmax cross-entropy) for STEPS
 * F-SAM steps, in full and in low-memory mode, and returns the hashes of the final
 * weights and of the loss trajectories with a few facts to compare.
 */
export async function run(lib, readyOptions = {}) {
  const report = await lib.ready(readyOptions);
  const started = Date.now();
  const full = train(lib, makeOptimizer(lib));
  const low = train(lib, makeLowMemoryOptimizer(lib));
  return {
    hash: full.hash,
    lossHash: full.lossHash,
    lowMemoryHash: low.hash,
    lowMemoryLossHash: low.lossHash,
    runtime: runtimeName(),
    backend: lib.tf.getBackend(),
    steps: STEPS,
    parameters: full.parameters,
    firstLoss: full.losses[0],
    lastLoss: full.losses[full.losses.length - 1],
    lowMemoryLastLoss: low.losses[low.losses.length - 1],
    accuracy: full.accuracy,
    ms: Date.now() - started,
    // What ready() got (threads, binary, why not more threads), and how many kernel calls
    // were split over the threads during the run.
    threads: report?.wasm?.threads ?? 1,
    wasm: lib.wasmThreads?.() ?? report?.wasm,
  };
}

/** STEPS steps of `optimizer` from the seeded initial weights; disposes everything it made. */
function train(lib, optimizer) {
  const { tf } = lib;
  const random = mulberry32(SEED);
  const weights = [];
  CONVS.forEach(({ filters, inChannels }, i) => {
    const fanIn = 9 * inChannels, fanOut = 9 * filters;
    weights.push(
      tf.variable(tf.tensor4d(glorot(random, fanIn * filters, fanIn, fanOut), [3, 3, inChannels, filters]), true, `conv${i}/kernel`),
      tf.variable(tf.zeros([filters]), true, `conv${i}/bias`));
  });
  weights.push(
    tf.variable(tf.tensor2d(glorot(random, FLAT * CLASSES, FLAT, CLASSES), [FLAT, CLASSES]), true, 'dense/kernel'),
    tf.variable(tf.zeros([CLASSES]), true, 'dense/bias'));
  const [k0, b0, k1, b1, dense, bias] = weights;
  const logits = (batch) => {
    const h0 = tf.relu(tf.add(tf.conv2d(batch.images, k0, 2, 'valid'), b0));
    const h1 = tf.relu(tf.add(tf.conv2d(h0, k1, 2, 'valid'), b1));
    return tf.add(tf.matMul(tf.reshape(h1, [batch.images.shape[0], FLAT]), dense), bias);
  };
  const lossOf = (batch) => tf.neg(tf.mean(tf.sum(tf.mul(batch.oneHot, tf.logSoftmax(logits(batch))), 1)));

  const digits = loadDigits();
  const losses = [];
  for (let step = 0; step < STEPS; step++) {
    const batch = batchAt(tf, digits, step);
    const loss = optimizer.minimize(() => lossOf(batch), true, weights);
    losses.push(loss.dataSync()[0]);
    loss.dispose();
    for (const t of Object.values(batch)) t.dispose();
  }

  const finalWeights = weights.map((v) => v.dataSync());
  const result = {
    hash: fnv1a64(finalWeights),
    lossHash: fnv1a64([Float32Array.from(losses)]),
    losses,
    parameters: finalWeights.reduce((s, w) => s + w.length, 0),
    accuracy: trainingAccuracy(tf, digits, logits),
  };
  optimizer.dispose();
  for (const v of weights) v.dispose();
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
