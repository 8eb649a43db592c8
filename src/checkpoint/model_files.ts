// tfjs-format model files on disk (model.json + weights binaries), which tfjs's own
// file:// handler would read only under tfjs-node. Nothing in them is trusted: model.json
// and every shard must be regular files, the shards inside the model's folder (symbolic
// links included), their sizes checked against the manifest before a byte is read, all
// within bounds (./model_json.ts); written atomically.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tf, layers } from '../index';
import { modelArtifacts, weightBytes } from './checkpoint';
import { writeFileAtomic } from './atomic';
import { ModelFileError, MODEL_LIMITS, checkModelJson, checkShardSizes, checkWeightValues, isInside, shardFile, type ModelLimits } from './model_json';

export { ModelFileError } from './model_json';

type LayersModel = Awaited<ReturnType<typeof layers.loadLayersModel>>;

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** Size of a regular file, or a ModelFileError saying why it is not one. */
function regularFileSize(path: string, what: string): number {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new ModelFileError(`cannot read ${what} ${path}: ${errno(err) === 'ENOENT' ? 'no such file' : errno(err) ?? (err as Error).message}`);
  }
  if (!st.isFile()) throw new ModelFileError(`${what} ${path} is not a regular file`);
  return st.size;
}

/** Reads exactly `size` bytes, refusing a file that changed size since it was checked. */
function readExactly(path: string, size: number, what: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ModelFileError(`cannot read ${what} ${path}: ${errno(err) ?? (err as Error).message}`);
  }
  if (bytes.byteLength !== size) throw new ModelFileError(`${what} ${path} changed while it was read (${bytes.byteLength} bytes, ${size} a moment before)`);
  return bytes;
}

export async function loadModelFiles(modelJsonPath: string, limits: ModelLimits = MODEL_LIMITS): Promise<LayersModel> {
  const jsonSize = regularFileSize(modelJsonPath, 'model');
  if (jsonSize > limits.modelJsonBytes) throw new ModelFileError(`model ${modelJsonPath} is ${jsonSize} bytes, over the ${limits.modelJsonBytes}-byte limit of a model.json`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(readExactly(modelJsonPath, jsonSize, 'model')));
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    throw new ModelFileError(`model ${modelJsonPath} is not valid JSON`);
  }
  const m = checkModelJson(doc, modelJsonPath, limits);
  const dir = dirname(modelJsonPath);
  const realDir = realpathSync(dir);
  // Every shard is located and measured before any is read.
  const files = m.groups.map((g, gi) => {
    const found = g.paths.map((p) => {
      const file = shardFile(dir, p, modelJsonPath);
      const size = regularFileSize(file, `weights file (named by ${modelJsonPath})`);
      if (!isInside(realDir, realpathSync(file))) throw new ModelFileError(`${modelJsonPath}: weights path ${JSON.stringify(p)} leads outside the model's folder (through a symbolic link)`);
      return { file, size };
    });
    checkShardSizes(g, found.map((f) => f.size), modelJsonPath, `weightsManifest[${gi}]`);
    return found;
  });
  const data = new Uint8Array(m.weightBytes);
  let at = 0;
  for (const { file, size } of files.flat()) {
    data.set(readExactly(file, size, 'weights file'), at);
    at += size;
  }
  checkWeightValues(m.weightSpecs, data, modelJsonPath);
  try {
    return await withWarningsHeld(() => layers.loadLayersModel(tf.io.fromMemory({
      modelTopology: m.modelTopology, weightSpecs: m.weightSpecs, weightData: data.buffer,
      format: m.format, generatedBy: m.generatedBy, convertedBy: m.convertedBy ?? undefined,
    })));
  } catch (err) {
    throw new ModelFileError(`model ${modelJsonPath} does not load: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
  }
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

/** Writes dir/model.json and dir/weights.bin. */
export async function saveModelFiles(dir: string, model: LayersModel): Promise<void> {
  const a = await modelArtifacts(model);
  const json: tf.io.ModelJSON = {
    modelTopology: a.modelTopology as object, format: a.format, generatedBy: a.generatedBy,
    convertedBy: 'fsam-edge', weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs ?? [] }],
  };
  writeFileAtomic(join(dir, 'weights.bin'), weightBytes(a.weightData));
  writeFileAtomic(join(dir, 'model.json'), new TextEncoder().encode(JSON.stringify(json)));
}
