// The training loop the CLI and the app run: seeded batch order per epoch (so a resumed
// run draws the same batches as an uninterrupted one), one optimizer step per batch, and
// the loss and accuracy per epoch on the training set and on held-out examples. Each
// batch is put together from the data in JavaScript, so tfjs-wasm's heap holds one batch
// of examples, never the whole set (./memory.ts plans it so).
import { tf, layers, microBatchLoss } from '../index';
import { type LabelledSet, countOf, sizeOf } from '../data/digits';
import { createRng, deriveSeed, permutation } from '../data/random';
import type { TrainingOptimizer } from './optimizers';
import { NonFiniteGradientError, NonFinitePerturbationError } from '../core/errors';

/** The loss or a gradient stopped being finite: the hyperparameters, not a bug. */
export class DivergedError extends Error {
  constructor(message: string) { super(message); this.name = 'DivergedError'; }
}

export type LayersModel = Awaited<ReturnType<typeof layers.loadLayersModel>>;

export interface EpochRecord {
  epoch: number;
  /** Mean loss of the epoch's steps (on the training labels, noisy ones included). */
  loss: number;
  /** Accuracy on the training labels after the epoch. */
  trainAccuracy: number;
  heldOutLoss: number;
  heldOutAccuracy: number;
  /** Where the wrong labels are known (the built-in task): the share of them the model has learned. */
  memorized?: number;
  seconds: number;
}

export interface Evaluation { loss: number; accuracy: number; /** Share of the `marked` examples predicted as labelled. */ markedAccuracy?: number }

/** What the model's output is: probabilities (a softmax last layer) or logits. */
export function outputKind(model: LayersModel): 'probabilities' | 'logits' {
  const last = model.layers[model.layers.length - 1];
  const config = last.getConfig() as { activation?: string };
  return config.activation === 'softmax' ? 'probabilities' : 'logits';
}

/** Mean cross-entropy of the model's output against integer labels. */
export function crossEntropy(kind: 'probabilities' | 'logits', output: tf.Tensor, labels: tf.Tensor1D, numClasses: number): tf.Scalar {
  return tf.tidy(() => {
    const onehot = tf.oneHot(labels, numClasses).toFloat();
    if (kind === 'logits') return tf.losses.softmaxCrossEntropy(onehot, output) as tf.Scalar;
    const p = tf.clipByValue(output, 1e-7, 1 - 1e-7);
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.log(p)), -1))) as tf.Scalar;
  });
}

/** Tensors for a labelled set, disposed by the caller. */
export function tensorsOf(set: LabelledSet): { x: tf.Tensor; y: tf.Tensor1D } {
  return { x: tf.tensor(set.features, [countOf(set), ...set.shape]), y: tf.tensor1d(set.labels, 'int32') };
}

/** The examples at `idx`, in that order, as tensors (disposed by the caller); `scratch` holds their values on the way. */
function batchOf(set: LabelledSet, idx: Int32Array, scratch: { x: Float32Array; y: Int32Array }): { x: tf.Tensor; y: tf.Tensor1D } {
  const d = sizeOf(set.shape), n = idx.length;
  for (let j = 0; j < n; j++) {
    scratch.x.set(set.features.subarray(idx[j] * d, (idx[j] + 1) * d), j * d);
    scratch.y[j] = set.labels[idx[j]];
  }
  return { x: tf.tensor(scratch.x.subarray(0, n * d), [n, ...set.shape]), y: tf.tensor1d(scratch.y.subarray(0, n), 'int32') };
}

/**
 * Examples per batch of a run's evaluations: its training (micro-)batch, up to 256. An
 * evaluation holds a forward pass only, so it never needs more of the heap than a
 * training pass of the same batch: the run's memory is set by its training batch.
 */
export const evaluationBatch = (trainingBatch: number, accumulate = 1) => Math.min(Math.ceil(trainingBatch / accumulate), 256);

export function evaluate(model: LayersModel, set: LabelledSet, marked?: Uint8Array, batchSize = 256): Evaluation {
  const kind = outputKind(model);
  const n = countOf(set);
  const d = sizeOf(set.shape);
  let lossSum = 0, correct = 0, markedCorrect = 0, markedCount = 0;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    tf.tidy(() => {
      const x = tf.tensor(set.features.subarray(start * d, end * d), [end - start, ...set.shape]);
      const y = tf.tensor1d(set.labels.subarray(start, end), 'int32');
      const out = model.apply(x, { training: false }) as tf.Tensor;
      lossSum += crossEntropy(kind, out, y, set.numClasses).dataSync()[0] * (end - start);
      const pred = tf.argMax(out, -1).dataSync();
      for (let i = 0; i < pred.length; i++) {
        const hit = pred[i] === set.labels[start + i];
        if (hit) correct++;
        if (marked?.[start + i]) { markedCount++; if (hit) markedCorrect++; }
      }
    });
  }
  return { loss: lossSum / n, accuracy: correct / n, ...(marked ? { markedAccuracy: markedCount ? markedCorrect / markedCount : NaN } : {}) };
}

export interface TrainOptions {
  model: LayersModel;
  optimizer: TrainingOptimizer;
  train: LabelledSet;
  /** Which training labels are known to be wrong, if any. */
  flipped?: Uint8Array;
  /** Held-out examples evaluated after each epoch (NaN in the record without them). */
  heldOut?: LabelledSet;
  batchSize: number;
  /** Micro-batches per step (the optimizer's `accumulate`); the batch must split into them. */
  accumulate?: number;
  seed: number;
  /** Epochs already done (0 for a fresh run) and the last epoch to run. */
  fromEpoch: number;
  toEpoch: number;
  /** Called after each step and awaited: the app pauses a run here, or stops it by throwing. */
  onBatch?: (epoch: number, batch: number, batches: number, loss: number) => Promise<void> | void;
  /** Called after each epoch, e.g. to checkpoint; awaited before the next epoch. */
  onEpoch?: (record: EpochRecord) => Promise<void> | void;
}

/** A task later: setImmediate where it exists (Node), else a MessageChannel message (no timer clamping). */
function nextTask(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
    channel.port2.postMessage(null);
  });
}

export function batchOrder(n: number, seed: number, epoch: number): Int32Array {
  return permutation(n, createRng(deriveSeed(seed, `batch-order/epoch-${epoch}`)));
}

export async function train(o: TrainOptions): Promise<EpochRecord[]> {
  const { model, optimizer, train: set, batchSize } = o;
  const kind = outputKind(model);
  const n = countOf(set);
  const batches = Math.ceil(n / batchSize);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const k = o.accumulate ?? 1;
  const scratch = { x: new Float32Array(Math.min(batchSize, n) * sizeOf(set.shape)), y: new Int32Array(Math.min(batchSize, n)) };
  const lossOf = (x: tf.Tensor, y: tf.Tensor1D) => crossEntropy(kind, model.apply(x, { training: true }) as tf.Tensor, y, set.numClasses);
  // One batch per step: the compiled step, whose passes replay as kernel calls after its
  // first two steps per batch shape; micro-batches: minimize() over microBatchLoss().
  const compiled = k > 1 ? undefined : optimizer.compile(lossOf, vars);
  const records: EpochRecord[] = [];
  for (let epoch = o.fromEpoch + 1; epoch <= o.toEpoch; epoch++) {
    const t0 = performance.now();
    const order = batchOrder(n, o.seed, epoch);
    let lossSum = 0;
    for (let b = 0; b < batches; b++) {
      const idx = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
      const { x, y } = batchOf(set, idx, scratch);
      let loss: number;
      const where = `at epoch ${epoch}, batch ${b + 1}`;
      try {
        loss = compiled ? compiled(x, y) : optimizer.step(microBatchLoss(k, x, y, lossOf), vars);
      } catch (err) {
        if (err instanceof NonFiniteGradientError || err instanceof NonFinitePerturbationError) {
          throw new DivergedError(`training diverged ${where} (${err.message}); try a smaller --lr or --rho`);
        }
        throw err;
      } finally {
        tf.dispose([x, y]);
      }
      if (!Number.isFinite(loss)) throw new DivergedError(`training diverged ${where}: the loss is ${loss}; try a smaller --lr or --rho`);
      lossSum += loss * idx.length;
      await o.onBatch?.(epoch, b + 1, batches, loss);
      // Back to the event loop once a batch: piped output flushes as it goes, signals
      // (Ctrl-C) are handled now rather than when training ends, a worker hears its page.
      await nextTask();
    }
    const trainEval = evaluate(model, set, o.flipped, evaluationBatch(batchSize, k));
    const held = o.heldOut ? evaluate(model, o.heldOut, undefined, evaluationBatch(batchSize, k)) : { loss: NaN, accuracy: NaN };
    const record: EpochRecord = {
      epoch, loss: lossSum / n, trainAccuracy: trainEval.accuracy,
      heldOutLoss: held.loss, heldOutAccuracy: held.accuracy,
      ...(trainEval.markedAccuracy !== undefined ? { memorized: trainEval.markedAccuracy } : {}),
      seconds: (performance.now() - t0) / 1000,
    };
    records.push(record);
    await o.onEpoch?.(record);
  }
  return records;
}
