// The file:// model handler for Node and Deno, registered by ready() (unless the app
// already has one, e.g. tfjs-node's): model.save('file://dir') writes dir/model.json and
// dir/weights.bin, the layout tfjs-node writes and the CLI's --model reads;
// loadLayersModel('file://dir/model.json') (or 'file://dir') reads them back.
// Writes are atomic per file, weights first, so model.json never names bytes that are
// not on disk. Reads trust nothing in model.json: every shard must be a regular file
// inside the model's folder (after symlinks), and the shards' byte lengths must equal
// what the manifest's weights need, checked before a byte of them is read.
import { tf } from '../tf';
import { hostFiles, type HostFiles } from './host_files';

const SCHEME = 'file://';
const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';
/** model.json is topology and a manifest: a larger one is not a model file. */
const MAX_MODEL_JSON_BYTES = 64 << 20;
/** One ArrayBuffer holds all weights: tfjs concatenates them. */
const MAX_WEIGHT_BYTES = 2 ** 31 - 1;

/** A model file that cannot be saved or loaded; the message names the file and what is wrong. */
export class ModelFileSystemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileSystemError';
  }
}

/** An IO handler for the model folder (or model.json) at `path`: for model.save() and loadLayersModel(). */
export function fileSystem(path: string): tf.io.IOHandler {
  if (typeof path !== 'string' || path === '') throw new TypeError(`fileSystem() needs a path, got ${JSON.stringify(path)}`);
  if (path.startsWith(SCHEME)) path = path.slice(SCHEME.length);
  const files = async () => {
    const f = await hostFiles();
    if (!f) throw new ModelFileSystemError('file:// models need a file system (Node or Deno); in a browser use indexeddb://, downloads:// or http(s)://');
    return f;
  };
  return {
    save: async (artifacts) => save(await files(), path, artifacts).catch((err) => { throw named(err, `cannot save a model into ${path}`); }),
    load: async () => load(await files(), path).catch((err) => { throw named(err, `cannot load a model from ${path}`); }),
  };
}

/** A file system error (EACCES, ENOSPC, …) as a ModelFileSystemError naming the model. */
function named(err: unknown, what: string): Error {
  return err instanceof ModelFileSystemError ? err : new ModelFileSystemError(`${what}: ${(err as Error)?.message ?? String(err)}`);
}

let registered = false;

/** Registers the file:// routers, in Node and Deno, when no file:// handler exists yet. */
export async function registerFileSystemRouter(): Promise<void> {
  if (registered || !(await hostFiles())) return;
  registered = true;
  const probe = `${SCHEME}fsam-edge-probe`;
  // tfjs's routers return null for a URL they do not handle (its IORouter type says IOHandler).
  const route = ((url: string | string[]) => (typeof url === 'string' && url.startsWith(SCHEME) ? fileSystem(url) : null)) as (url: string | string[]) => tf.io.IOHandler;
  if (tf.io.getSaveHandlers(probe).length === 0) tf.io.registerSaveRouter(route);
  if (tf.io.getLoadHandlers(probe).length === 0) tf.io.registerLoadRouter(route);
}

async function save(files: HostFiles, dir: string, a: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  if (a.modelTopology instanceof ArrayBuffer) throw new ModelFileSystemError(`${dir}: file:// saves models with a JSON topology, not a binary graph`);
  const at = await files.stat(dir);
  if (at && at.kind !== 'directory') throw new ModelFileSystemError(`${dir} exists and is not a folder; file:// saves a model into a folder`);
  await files.makeDirectory(dir);
  const weights = a.weightData === undefined ? new Uint8Array(0) : new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData));
  const json: Record<string, unknown> = {
    modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy,
    signature: a.signature, userDefinedMetadata: a.userDefinedMetadata, modelInitializer: a.modelInitializer,
    initializerSignature: a.initializerSignature, trainingConfig: a.trainingConfig,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: a.weightSpecs ?? [] }],
  };
  for (const key of Object.keys(json)) if (json[key] === undefined) delete json[key];
  await files.writeFileAtomic(files.path.join(dir, WEIGHTS_BIN), weights);
  await files.writeFileAtomic(files.path.join(dir, MODEL_JSON), new TextEncoder().encode(JSON.stringify(json)));
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
}

async function load(files: HostFiles, path: string): Promise<tf.io.ModelArtifacts> {
  const at = await files.stat(path);
  if (!at) throw new ModelFileSystemError(`cannot load a model from ${path}: no such file or folder`);
  const modelJson = at.kind === 'directory' ? files.path.join(path, MODEL_JSON) : path;
  const info = at.kind === 'directory' ? await files.stat(modelJson) : at;
  if (info?.kind !== 'file') throw new ModelFileSystemError(`${modelJson}: no such file`);
  if (info.size > MAX_MODEL_JSON_BYTES) throw new ModelFileSystemError(`${modelJson} holds ${info.size} bytes; a model.json has at most ${MAX_MODEL_JSON_BYTES}`);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(new TextDecoder().decode(await files.readFile(modelJson)));
  } catch (err) {
    throw new ModelFileSystemError(`${modelJson} is not JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || json.modelTopology === null || typeof json.modelTopology !== 'object') {
    throw new ModelFileSystemError(`${modelJson} is not a tfjs model.json (it needs a modelTopology object)`);
  }
  const folder = files.path.dirname(modelJson);
  return tf.io.getModelArtifactsForJSON(json, (manifest) => readWeights(files, folder, modelJson, manifest));
}

/** Bytes per element as stored: a quantized weight stores its quantized type. */
function storedBytes(w: tf.io.WeightsManifestEntry, where: string): number | undefined {
  const q = w.quantization?.dtype;
  if (q !== undefined) {
    const bytes = { uint8: 1, uint16: 2, float16: 2 }[q as string];
    if (!bytes) throw new ModelFileSystemError(`${where}: unknown quantization dtype ${JSON.stringify(q)}`);
    return bytes;
  }
  if (w.dtype === 'string') return undefined; // length-prefixed: no size known in advance
  const bytes = ({ float32: 4, int32: 4, bool: 1, complex64: 8 } as Record<string, number>)[w.dtype];
  if (!bytes) throw new ModelFileSystemError(`${where}: unknown dtype ${JSON.stringify(w.dtype)}`);
  return bytes;
}

async function readWeights(files: HostFiles, folder: string, modelJson: string, manifest: unknown): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
  if (!Array.isArray(manifest)) throw new ModelFileSystemError(`${modelJson}: weightsManifest must be a list of groups`);
  const root = await files.realPath(folder);
  if (!root) throw new ModelFileSystemError(`${folder}: no such folder`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const shards: { file: string; size: number }[] = [];
  let total = 0;
  for (const [g, group] of manifest.entries()) {
    const where = `${modelJson}: weightsManifest[${g}]`;
    if (group === null || typeof group !== 'object' || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new ModelFileSystemError(`${where} needs a list of paths and a list of weights`);
    }
    let need: number | undefined = 0;
    for (const [i, w] of (group.weights as unknown[]).entries()) {
      const spec = w as tf.io.WeightsManifestEntry;
      const at = `${where}.weights[${i}]`;
      if (spec === null || typeof spec !== 'object' || typeof spec.name !== 'string' || !Array.isArray(spec.shape) ||
          !spec.shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw new ModelFileSystemError(`${at} needs a name and a shape of whole numbers`);
      }
      const bytes = storedBytes(spec, at);
      need = bytes === undefined || need === undefined ? undefined : need + bytes * spec.shape.reduce((a, b) => a * b, 1);
      specs.push(spec);
    }
    let have = 0;
    for (const [i, p] of (group.paths as unknown[]).entries()) {
      const at = `${where}.paths[${i}]`;
      if (typeof p !== 'string' || p === '' || p.includes('\0') || files.path.isAbsolute(p)) {
        throw new ModelFileSystemError(`${at} must be a file name relative to the model's folder, got ${JSON.stringify(p)}`);
      }
      const file = await files.realPath(files.path.resolve(folder, p));
      const rel = file === undefined ? '' : files.path.relative(root, file);
      const inside = rel !== '' && rel !== '..' && !rel.startsWith(`..${files.path.sep}`) && !files.path.isAbsolute(rel);
      if (!inside) throw new ModelFileSystemError(`${at}: ${JSON.stringify(p)} is ${file === undefined ? 'missing' : "outside the model's folder"}`);
      const s = await files.stat(file!);
      if (s?.kind !== 'file') throw new ModelFileSystemError(`${at}: ${JSON.stringify(p)} is not a regular file`);
      shards.push({ file: file!, size: s.size });
      have += s.size;
    }
    if (need !== undefined && have !== need) {
      throw new ModelFileSystemError(`${where}: its weights take ${need} bytes, its files hold ${have}`);
    }
    total += have;
    if (total > MAX_WEIGHT_BYTES) throw new ModelFileSystemError(`${modelJson}: the weights take more than ${MAX_WEIGHT_BYTES} bytes`);
  }
  const data = new Uint8Array(total);
  let offset = 0;
  for (const { file, size } of shards) {
    const bytes = await files.readFile(file);
    if (bytes.byteLength !== size) throw new ModelFileSystemError(`${file} changed while it was read`);
    data.set(bytes, offset);
    offset += size;
  }
  return [specs, data.buffer];
}
