// What a run needs besides its optimizer: the model (a file or the cached base CNN) and
// the data (files, validated against the model, or the built-in user task), described
// in a form a checkpoint stores so that `resume` rebuilds exactly the same inputs.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { tf, layers } from '../index';
import { loadModelFiles } from '../checkpoint/model_files';
import { sha256Hex } from '../checkpoint/format';
import { readDataset, DataError } from '../data/dataset_file';
import { type LabelledSet, countOf, sizeOf, subset } from '../data/digits';
import { makeDefaultTask, DEFAULT_USER_STYLE } from '../data/default_task';
import { loadMnist } from '../data/mnist';
import { deriveSeed, permutation, createRng } from '../data/random';
import { cachedBaseModel } from './base_model';
import { crossEntropy, outputKind, type LayersModel } from './train';

export type DataSpec =
  | { kind: 'default'; noiseRate: number; seed: number; /** SHA-256 of the examples and labels. */ digest?: string }
  | { kind: 'file'; path: string; sha256: string; evalPath: string | null; evalSha256: string | null; holdout: number; seed: number };

export interface Task {
  train: LabelledSet;
  heldOut: LabelledSet;
  /** Which training labels are wrong, where that is known (the built-in task). */
  flipped?: Uint8Array;
  spec: DataSpec;
  /** Human-readable lines for the console and the report. */
  description: string[];
}

/** Input shape (without batch) and class count of a single-input, single-output classifier. */
export function modelSignature(model: LayersModel, source: string): { shape: number[]; numClasses: number } {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new DataError(`${source}: the model must have one input and one output`);
  const shape = model.inputs[0].shape.slice(1);
  const out = model.outputs[0].shape;
  if (shape.some((d) => typeof d !== 'number' || d <= 0)) throw new DataError(`${source}: the model's input shape [${model.inputs[0].shape}] must be fixed apart from the batch`);
  if (out.length !== 2 || typeof out[1] !== 'number' || out[1] < 2) throw new DataError(`${source}: the model must output [batch, classes] with at least 2 classes, got [${out}]`);
  if (sizeOf(shape as number[]) > 2 ** 24 || out[1] > 2 ** 20) throw new DataError(`${source}: an input of [${shape}] values or ${out[1]} classes is beyond what fsam-edge trains`);
  checkModelRuns(model, shape as number[], out[1], source);
  return { shape: shape as number[], numClasses: out[1] };
}

/**
 * One forward and backward pass on a batch of zeros, changing nothing: a model whose
 * topology loads but cannot train (a layer's dtype or config edited) fails here, with one
 * line, rather than in the middle of training.
 */
function checkModelRuns(model: LayersModel, shape: number[], numClasses: number, source: string): void {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  try {
    tf.tidy(() => {
      const x = tf.zeros([1, ...shape]);
      const y = tf.zeros([1], 'int32') as tf.Tensor1D;
      const { value } = tf.variableGrads(() => crossEntropy(outputKind(model), model.apply(x, { training: false }) as tf.Tensor, y, numClasses), vars.length ? vars : undefined);
      value.dataSync();
    });
  } catch (err) {
    throw new DataError(`${source}: the model does not run (${String((err as Error)?.message ?? err).split('\n')[0]})`);
  }
}

/** The model of a run: a model file, or the built-in base CNN (trained first if not cached: `beforeTraining` sees it untrained). */
export async function openModel(modelPath: string | undefined, cacheDir: string, log: (s: string) => void, beforeTraining?: (model: LayersModel) => void): Promise<{ model: LayersModel; source: string }> {
  if (modelPath !== undefined) return { model: await loadModelFiles(modelPath), source: resolve(modelPath) };
  const population = makeDefaultTask(loadMnist()).population;
  const { model, path } = await cachedBaseModel(cacheDir, population, log, beforeTraining);
  return { model, source: `built-in digit CNN (${path})` };
}

export function openDefaultTask(noiseRate: number, seed: number, model: LayersModel, source: string): Task {
  const sig = modelSignature(model, source);
  if (sizeOf(sig.shape) !== 28 * 28 || sig.numClasses !== 10) {
    throw new DataError(`${source}: the built-in digits need a model with a 28×28 input and 10 classes; give --data for this model`);
  }
  const task = makeDefaultTask(loadMnist(), { seed, noiseRate });
  const reshape = (s: LabelledSet): LabelledSet => ({ ...s, shape: sig.shape });
  const st = DEFAULT_USER_STYLE;
  return {
    train: reshape(task.userTrain), heldOut: reshape(task.userTest), flipped: task.flipped,
    spec: { kind: 'default', noiseRate, seed, digest: digestOf(task.userTrain, task.userTest) },
    description: [
      `built-in task: a user who writes digits rotated ${st.rotateDeg}°, sheared ${st.shear} and with heavier strokes`,
      `${countOf(task.userTrain)} training digits, ${task.flipped.reduce((a, b) => a + b, 0)} of them (${Math.round(noiseRate * 100)}%) with wrong labels; ` +
        `${countOf(task.userTest)} clean held-out digits; base CNN trained on ${countOf(task.population)} upright population digits`,
    ],
  };
}

export function openFileTask(dataPath: string, evalPath: string | undefined, holdout: number, seed: number, model: LayersModel, source: string): Task {
  const sig = modelSignature(model, source);
  const data = readDataset(dataPath, sig);
  let train: LabelledSet, heldOut: LabelledSet, evalSha: string | null = null;
  if (evalPath !== undefined) {
    const ev = readDataset(evalPath, sig);
    train = data.set; heldOut = ev.set; evalSha = ev.sha256;
  } else {
    const n = countOf(data.set);
    const k = Math.round(n * holdout);
    if (k < 1 || n - k < 1) throw new DataError(`${dataPath}: ${n} examples are too few to hold out ${Math.round(holdout * 100)}% (give --eval)`);
    const order = permutation(n, createRng(deriveSeed(seed, 'holdout')));
    heldOut = subset(data.set, order.subarray(0, k));
    train = subset(data.set, order.subarray(k));
  }
  return {
    train, heldOut,
    // Absolute paths: `resume` may run from another directory.
    spec: { kind: 'file', path: resolve(dataPath), sha256: data.sha256, evalPath: evalPath === undefined ? null : resolve(evalPath), evalSha256: evalSha, holdout, seed },
    description: [`data: ${resolve(dataPath)}, ${countOf(train)} training and ${countOf(heldOut)} held-out examples (${evalPath ? resolve(evalPath) : `${Math.round(holdout * 100)}% held out`})`],
  };
}

/** Rebuilds a checkpoint's task, refusing when a data file changed since. */
export function reopenTask(spec: DataSpec, model: LayersModel, source: string): Task {
  if (spec.kind === 'default') {
    const task = openDefaultTask(spec.noiseRate, spec.seed, model, source);
    if (spec.digest !== undefined && task.spec.kind === 'default' && task.spec.digest !== spec.digest) {
      throw new DataError('the built-in task\'s digits differ from those the checkpoint was trained on (another version of the mnist package or of fsam-edge); resuming would not continue the same run');
    }
    return task;
  }
  for (const [path, flag] of [[spec.path, '--data'], [spec.evalPath, '--eval']] as const) {
    if (path !== null && !existsSync(path)) throw new DataError(`the run's data file ${path} is not there any more; give its new place with resume ${flag} PATH`);
  }
  const task = openFileTask(spec.path, spec.evalPath ?? undefined, spec.holdout, spec.seed, model, source);
  if (task.spec.kind === 'file' && (task.spec.sha256 !== spec.sha256 || task.spec.evalSha256 !== spec.evalSha256)) {
    throw new DataError(`${spec.path}${spec.evalPath ? ` or ${spec.evalPath}` : ''} changed since the checkpoint was written (SHA-256 differs); resuming would not continue the same run`);
  }
  return task;
}

function digestOf(...sets: LabelledSet[]): string {
  const bytes = (a: Float32Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return sha256Hex(...sets.flatMap((s) => [bytes(s.features), bytes(s.labels)]));
}

/** A fresh copy of a model (same topology and weights, new variables). */
export async function cloneModel(model: LayersModel): Promise<LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  return layers.loadLayersModel(tf.io.fromMemory(artifacts!));
}

