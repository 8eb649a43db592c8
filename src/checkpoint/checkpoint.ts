// A training checkpoint: the model in tfjs format (topology + weight specs + weight
// bytes), the optimizer's state (its getWeights(), names made portable), the run's
// config and progress, as the bytes of one versioned, checksummed file (./format.ts).
// Platform-neutral: the CLI writes them to a file atomically (../node/checkpoint_file.ts),
// the browser app keeps them in IndexedDB; the same run gives the same bytes in both.
import { tf, layers } from '../index';
import { encodeCheckpoint, decodeCheckpoint, CheckpointError, type DigestFunction } from './format';
import { ModelFileError, checkWeightSpecs, checkWeightValues } from '../index';

type LayersModel = Awaited<ReturnType<typeof layers.loadLayersModel>>;
type NamedTensor = { name: string; tensor: tf.Tensor };

export const KIND = 'fsam-edge/training-checkpoint';

export interface CheckpointContent<Config, Progress> {
  config: Config;
  progress: Progress;
  model: LayersModel;
  /** The optimizer's getWeights(), in its order. */
  optimizerWeights: NamedTensor[];
}

export interface LoadedCheckpoint<Config, Progress> {
  config: Config;
  progress: Progress;
  model: LayersModel;
  optimizerWeights: NamedTensor[];
}

/**
 * The bytes of a view as an ArrayBuffer of their own. (Node's Buffer#slice shares
 * memory: a Buffer's .buffer can be a whole file or a pooled slab.)
 */
export function ownBuffer(u: Uint8Array): ArrayBuffer {
  return u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
}

export async function modelArtifacts(model: LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  if (!saved) throw new Error('model.save produced no artifacts');
  return saved;
}

/** A fresh copy of a model (same topology and weights, new variables). */
export async function cloneModel(model: LayersModel): Promise<LayersModel> {
  return layers.loadLayersModel(tf.io.fromMemory(await modelArtifacts(model)));
}

export function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/**
 * Optimizer state is named after the model's variables ("conv1/kernel/momentum"), and a
 * model loaded twice in one process gets suffixed variable names; the checkpoint stores
 * "@<index of the trainable weight>" in place of the variable name.
 */
function portableName(name: string, variableNames: string[]): string {
  let best = -1;
  variableNames.forEach((v, i) => {
    if ((name === v || name.startsWith(`${v}/`)) && (best < 0 || v.length > variableNames[best].length)) best = i;
  });
  return best < 0 ? name : `@${best}${name.slice(variableNames[best].length)}`;
}

function localName(name: string, variableNames: string[]): string {
  const m = /^@(\d+)(.*)$/s.exec(name);
  if (!m) return name;
  const v = variableNames[Number(m[1])];
  if (v === undefined) throw new CheckpointError(`optimizer state refers to trainable weight #${m[1]}, which the model does not have`);
  return v + m[2];
}

/**
 * Runs `load` with tfjs's console warnings held back: shown if it succeeds, dropped if it
 * fails (its error says what matters, in one line; tfjs-layers warns first, e.g. about a
 * shape, on the way to a model that then does not load).
 */
export async function withWarningsHeld<T>(load: () => Promise<T>): Promise<T> {
  const held: unknown[][] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => { held.push(args); };
  let result: T;
  try {
    result = await load();
  } finally {
    console.warn = warn;
  }
  for (const args of held) console.warn(...args);
  return result;
}

/** The checkpoint file's bytes for `content`; `sha256` as ./format.ts takes it. */
export async function encodeTrainingCheckpoint<C, P>(content: CheckpointContent<C, P>, sha256?: DigestFunction): Promise<Uint8Array> {
  const artifacts = await modelArtifacts(content.model);
  const names = content.model.trainableWeights.map((w) => (w.read() as tf.Variable).name);
  const portable = content.optimizerWeights.map(({ name, tensor }) => ({ name: portableName(name, names), tensor }));
  const encoded = await tf.io.encodeWeights(portable);
  return encodeCheckpoint({
    kind: KIND,
    config: content.config,
    progress: content.progress,
    model: { format: artifacts.format, generatedBy: artifacts.generatedBy, modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs },
    optimizer: { specs: encoded.specs },
  }, {
    modelWeights: weightBytes(artifacts.weightData),
    optimizerWeights: weightBytes(encoded.data),
  }, sha256);
}

/**
 * Verifies and decodes a checkpoint's bytes (`path` names it in messages): any defect is
 * a CheckpointError with one clear line. The model and the optimizer state are new
 * tensors, the caller's to dispose.
 */
export async function decodeTrainingCheckpoint<C, P>(bytes: Uint8Array, path: string, sha256?: DigestFunction): Promise<LoadedCheckpoint<C, P>> {
  const decoded = decodeCheckpoint(bytes, path, sha256);
  const h = decoded.header as {
    kind?: string; config: C; progress: P;
    model?: { modelTopology: object; weightSpecs: tf.io.WeightsManifestEntry[]; format?: string; generatedBy?: string };
    optimizer?: { specs: tf.io.WeightsManifestEntry[] };
  };
  if (h.kind !== KIND) throw new CheckpointError(`${path}: not a training checkpoint (kind ${JSON.stringify(h.kind)})`);
  const isObject = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObject(h.model) || !isObject(h.optimizer)) throw new CheckpointError(`${path}: checkpoint lacks its model or optimizer section`);
  if (!isObject(h.model!.modelTopology)) throw new CheckpointError(`${path}: the model's topology is ${JSON.stringify(h.model!.modelTopology) ?? 'missing'}, not an object`);
  for (const k of ['format', 'generatedBy'] as const) {
    if (h.model![k] !== undefined && typeof h.model![k] !== 'string') throw new CheckpointError(`${path}: model.${k} is not a string`);
  }
  // The weight entries, their bytes against the blobs' lengths, and the values: before
  // tfjs decodes anything (it trusts the specs and reads past a short blob as garbage).
  const modelBlob = decoded.blob('modelWeights');
  const optimizerBlob = decoded.blob('optimizerWeights');
  try {
    for (const [section, specs, blob] of [['model.weightSpecs', h.model!.weightSpecs, modelBlob], ['optimizer.specs', h.optimizer!.specs, optimizerBlob]] as const) {
      const checked = checkWeightSpecs(specs, path, section);
      if (checked.bytes !== blob.byteLength) throw new CheckpointError(`${path}: ${section} need ${checked.bytes} bytes but the checkpoint holds ${blob.byteLength}`);
      checkWeightValues(checked.specs, blob, path);
    }
  } catch (err) {
    if (err instanceof ModelFileError) throw new CheckpointError(err.message);
    throw err;
  }
  let model: LayersModel;
  try {
    model = await withWarningsHeld(() => layers.loadLayersModel(tf.io.fromMemory({
      modelTopology: h.model!.modelTopology, weightSpecs: h.model!.weightSpecs, weightData: ownBuffer(modelBlob),
      format: h.model!.format, generatedBy: h.model!.generatedBy,
    })));
  } catch (err) {
    throw new CheckpointError(`${path}: its model does not load (${String((err as Error)?.message ?? err).split('\n')[0]})`);
  }
  const names = model.trainableWeights.map((w) => (w.read() as tf.Variable).name);
  let optimizerWeights: NamedTensor[];
  try {
    const map = tf.io.decodeWeights(ownBuffer(optimizerBlob), h.optimizer!.specs);
    optimizerWeights = h.optimizer!.specs.map((s) => ({ name: localName(s.name, names), tensor: map[s.name] }));
  } catch (err) {
    model.dispose();
    if (err instanceof CheckpointError) throw new CheckpointError(`${path}: ${err.message}`);
    throw new CheckpointError(`${path}: its optimizer state does not decode (${String((err as Error)?.message ?? err).split('\n')[0]})`);
  }
  return { config: h.config, progress: h.progress, model, optimizerWeights };
}
