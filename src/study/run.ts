// One run of the study: a fresh CNN trained from scratch with one optimizer on one
// noise rate and seed, evaluated after every epoch. The step is the public API's:
// optimizer.minimize(loss) on the wasm backend; SGD, SAM and F-SAM are fsam-edge's own
// exported classes (SGD: the base step alone, the same arena kernels).
import { tf } from '../tf';
import { FSAM, SAM, SGD } from '../tfjs/optimizers';
import { createRng, deriveSeed, permutation, randomInt, type LabelledSet } from '../data/index';
import { studyCnn, type ModelSize } from './model';
import { studySplit, noisyTrainLabels } from './data';

export type OptimizerName = 'sgd' | 'sam' | 'fsam0.6' | 'fsam0.95';

/** What every run of one study shares. */
export interface Scale {
  train: number; val: number; test: number;
  epochs: number; batch: number; trainEvalEvery: number; learningRate: number; momentum: number; weightDecay: number;
  model: ModelSize;
}

export interface RunSpec {
  /** Which part of the study asked for this run: the ρ sweep, the noise grid, the batch-size figure. */
  group: 'sweep' | 'grid' | 'pbatch';
  optimizer: OptimizerName;
  noise: number;
  rho: number;
  seed: number;
  /** Examples in the batch the perturbation's gradient is taken on (≥ batch; = batch normally). */
  perturbBatch: number;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  val: number;
  test: number;
  /** Accuracy on the training set against the labels it was trained on (noisy ones included). */
  trainNoisy: number;
  /** Accuracy on the flipped examples against their wrong labels: memorization. */
  memorized: number;
  /** Accuracy on the training set against its true labels. */
  trainClean: number;
}

export interface RunResult extends RunSpec {
  key: string;
  epochs: EpochRecord[];
  wallSeconds: number;
  finishedAt: string;
}

export function runKey(s: RunSpec): string {
  return `${s.group}|${s.optimizer}|noise=${s.noise}|rho=${s.rho}|pb=${s.perturbBatch}|seed=${s.seed}`;
}

function makeOptimizer(s: RunSpec, scale: Scale): tf.Optimizer & { learningRate: number } {
  const base = { learningRate: scale.learningRate, momentum: scale.momentum, weightDecay: scale.weightDecay };
  switch (s.optimizer) {
    case 'sgd': return new SGD(base);
    case 'sam': return new SAM({ ...base, rho: s.rho, base: 'sgd' });
    case 'fsam0.6': return new FSAM({ ...base, rho: s.rho, sigma: 1, lambda: 0.6, base: 'sgd' });
    case 'fsam0.95': return new FSAM({ ...base, rho: s.rho, sigma: 1, lambda: 0.95, base: 'sgd' });
  }
}

function images(set: LabelledSet): tf.Tensor4D {
  return tf.tensor4d(set.features, [set.labels.length, 28, 28, 1]);
}

/** Predicted classes of x, in batches. */
function predict(model: ReturnType<typeof studyCnn>, x: tf.Tensor4D): Int32Array {
  const n = x.shape[0], out = new Int32Array(n), step = 1000;
  for (let i = 0; i < n; i += step) {
    const p = tf.tidy(() => (model.apply(x.slice(i, Math.min(step, n - i)), { training: false }) as tf.Tensor).argMax(-1));
    out.set(p.dataSync() as Int32Array, i);
    p.dispose();
  }
  return out;
}

function accuracy(pred: Int32Array, labels: Int32Array, where?: Uint8Array): number {
  let hit = 0, n = 0;
  for (let i = 0; i < labels.length; i++) {
    if (where && !where[i]) continue;
    n++;
    if (pred[i] === labels[i]) hit++;
  }
  return n ? hit / n : NaN;
}

export async function runOne(spec: RunSpec, scale: Scale, log: (s: string) => void = () => {}): Promise<RunResult> {
  const t0 = performance.now();
  const { train, val, test } = studySplit(scale);
  const noisy = noisyTrainLabels(train, spec.noise, spec.seed);
  const n = train.labels.length, B = scale.batch, PB = spec.perturbBatch;
  if (!(PB >= B && PB <= n)) throw new RangeError(`perturbBatch must be in [${B}, ${n}], got ${PB}`);
  const xTrain = images(train), xVal = images(val), xTest = images(test);
  const yTrain = tf.oneHot(tf.tensor1d(noisy.labels, 'int32'), 10) as tf.Tensor2D;
  const model = studyCnn(scale.model, spec.seed);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const opt = makeOptimizer(spec, scale);
  const order = createRng(deriveSeed(spec.seed, 'study/order'));
  const extra = createRng(deriveSeed(spec.seed, 'study/perturb-batch'));
  const stepsPerEpoch = Math.floor(n / B); // the last partial batch is dropped
  const totalSteps = stepsPerEpoch * scale.epochs;
  const lossOn = (idx: tf.Tensor1D) => () => tf.losses.softmaxCrossEntropy(
    tf.gather(yTrain, idx), model.apply(tf.gather(xTrain, idx), { training: true }) as tf.Tensor) as tf.Scalar;
  const epochs: EpochRecord[] = [];
  let t = 0;
  try {
    for (let e = 1; e <= scale.epochs; e++) {
      const perm = permutation(n, order);
      let lossSum = 0;
      for (let b = 0; b < stepsPerEpoch; b++, t++) {
        // Cosine schedule over steps, from lr to (almost) 0; the setter refuses 0.
        opt.learningRate = scale.learningRate * 0.5 * (1 + Math.cos((Math.PI * t) / totalSteps));
        const batch = perm.subarray(b * B, (b + 1) * B);
        const idx = tf.tensor1d(batch, 'int32');
        let loss: tf.Scalar | null;
        if (PB === B || spec.optimizer === 'sgd') {
          loss = opt.minimize(lossOn(idx), true, vars);
        } else {
          // The perturbation's gradient on a larger batch: the update batch plus PB − B
          // other training examples. minimize() calls the loss twice, first for the
          // perturbation (and F-SAM's m), then at w + ε for the update.
          const big = new Int32Array(PB);
          big.set(batch);
          const taken = new Set<number>();
          for (let i = B; i < PB; i++) {
            let k: number;
            do k = randomInt(extra, n - B); while (taken.has(k));
            taken.add(k);
            big[i] = perm[(b * B + B + k) % n]; // any example outside the update batch
          }
          const bigIdx = tf.tensor1d(big, 'int32');
          const first = lossOn(bigIdx), second = lossOn(idx);
          let calls = 0;
          loss = opt.minimize(() => (calls++ === 0 ? first() : second()), true, vars);
          bigIdx.dispose();
          if (calls !== 2) throw new Error(`expected the loss to run twice per step, it ran ${calls} times`);
        }
        idx.dispose();
        lossSum += loss!.dataSync()[0];
        loss!.dispose();
      }
      // The training set is as large as val and test together several times over: it
      // is evaluated every `trainEvalEvery` epochs and at the end (NaN in between).
      const pTrain = e % scale.trainEvalEvery === 0 || e === scale.epochs ? predict(model, xTrain) : undefined;
      const rec: EpochRecord = {
        epoch: e,
        loss: lossSum / stepsPerEpoch,
        val: accuracy(predict(model, xVal), val.labels),
        test: accuracy(predict(model, xTest), test.labels),
        trainNoisy: pTrain ? accuracy(pTrain, noisy.labels) : NaN,
        memorized: pTrain ? accuracy(pTrain, noisy.labels, noisy.flipped) : NaN,
        trainClean: pTrain ? accuracy(pTrain, train.labels) : NaN,
      };
      if (!Number.isFinite(rec.loss)) throw new Error(`epoch ${e}: the training loss is ${rec.loss}`);
      epochs.push(rec);
      log(`  epoch ${e}: loss ${rec.loss.toFixed(3)} val ${rec.val.toFixed(3)} test ${rec.test.toFixed(3)} memorized ${Number.isNaN(rec.memorized) ? '-' : rec.memorized.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
  } finally {
    opt.dispose();
    model.dispose();
    tf.dispose([xTrain, xVal, xTest, yTrain]);
  }
  return { ...spec, key: runKey(spec), epochs, wallSeconds: (performance.now() - t0) / 1000, finishedAt: new Date().toISOString() };
}
