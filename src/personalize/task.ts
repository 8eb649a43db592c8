// What a run trains on besides its optimizer: the model's signature, and the data (the
// built-in user task, or a user's dataset split into training and held-out examples),
// described in a form a checkpoint stores so that a resumed run rebuilds exactly the same
// inputs. Platform-neutral: the digits and the dataset's bytes are the caller's to read
// (the CLI from files, ../cli/session.ts; the app from what it ships and what a person picked).
import { tf } from '../index';
import { sha256Hex } from '../checkpoint/sha256';
import { DataError } from '../data/dataset_text';
import { type LabelledSet, countOf, sizeOf, subset } from '../data/digits';
import { makeDefaultTask, DEFAULT_USER_STYLE } from '../data/default_task';
import { deriveSeed, permutation, createRng } from '../data/random';
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

/** A dataset as read: its examples, the SHA-256 of its bytes, the name a checkpoint stores for it (and the one messages show, if another). */
export interface ReadDataset { set: LabelledSet; sha256: string; path: string; shownAs?: string }

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

/**
 * The built-in task on `digits` (the packaged digits, decoded): a user who writes rotated,
 * sheared, heavier digits, with `noiseRate` of their training labels wrong (seeded).
 * `dataHint` says what to give instead when the model does not fit the digits.
 */
export function defaultTask(digits: LabelledSet, noiseRate: number, seed: number, model: LayersModel, source: string, dataHint = 'give --data for this model'): Task {
  const sig = modelSignature(model, source);
  if (sizeOf(sig.shape) !== 28 * 28 || sig.numClasses !== 10) {
    throw new DataError(`${source}: the built-in digits need a model with a 28×28 input and 10 classes; ${dataHint}`);
  }
  const task = makeDefaultTask(digits, { seed, noiseRate });
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

/** The built-in task a checkpoint names, refused when its digits are not the ones it trained on. */
export function reopenDefaultTask(spec: Extract<DataSpec, { kind: 'default' }>, digits: LabelledSet, model: LayersModel, source: string): Task {
  const task = defaultTask(digits, spec.noiseRate, spec.seed, model, source);
  if (spec.digest !== undefined && task.spec.kind === 'default' && task.spec.digest !== spec.digest) {
    throw new DataError('the built-in task\'s digits differ from those the checkpoint was trained on (another version of the mnist package or of fsam-edge); resuming would not continue the same run');
  }
  return task;
}

/**
 * A user's dataset as a task: `evaluation` held out if given, else a seeded `holdout`
 * share of `data`. `evalHint` says how to give held-out data when too few examples are left.
 */
export function fileTask(data: ReadDataset, evaluation: ReadDataset | undefined, holdout: number, seed: number, evalHint = ' (give --eval)'): Task {
  let train: LabelledSet, heldOut: LabelledSet;
  if (evaluation !== undefined) {
    train = data.set; heldOut = evaluation.set;
  } else {
    const n = countOf(data.set);
    const k = Math.round(n * holdout);
    if (k < 1 || n - k < 1) throw new DataError(`${data.shownAs ?? data.path}: ${n} examples are too few to hold out ${Math.round(holdout * 100)}%${evalHint}`);
    const order = permutation(n, createRng(deriveSeed(seed, 'holdout')));
    heldOut = subset(data.set, order.subarray(0, k));
    train = subset(data.set, order.subarray(k));
  }
  return {
    train, heldOut,
    spec: { kind: 'file', path: data.path, sha256: data.sha256, evalPath: evaluation?.path ?? null, evalSha256: evaluation?.sha256 ?? null, holdout, seed },
    description: [`data: ${data.path}, ${countOf(train)} training and ${countOf(heldOut)} held-out examples (${evaluation ? evaluation.path : `${Math.round(holdout * 100)}% held out`})`],
  };
}

function digestOf(...sets: LabelledSet[]): string {
  const bytes = (a: Float32Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return sha256Hex(...sets.flatMap((s) => [bytes(s.features), bytes(s.labels)]));
}
