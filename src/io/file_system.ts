// The file:// model handler for Node and Deno, registered by ready() (unless the app
// already has one, e.g. tfjs-node's), and the one the CLI reads and writes its models with:
// model.save('file://dir') writes dir/model.json and dir/weights.<checksum>.bin (tfjs's
// layout, one shard, named by its bytes: ./weight_file_name.ts); loadLayersModel(
// 'file://dir/model.json') (or 'file://dir') reads them, and folders other tools wrote.
// A save replaces the model as a pair: each file is written atomically (./host_files.ts),
// the weights first under their own name beside the old ones, then model.json naming them
// (its rename is the one moment the saved model changes), then the weight files of
// fsam-edge's naming that model.json no longer names are removed. A crash anywhere leaves
// the old pair or the new one, at most with an orphan weights file the next save removes.
// Saves into one folder at once: this process's run one after another; another process's
// may interleave, so a save removes only what model.json names as it is when it removes
// (never another save's committed weights), and after its commit puts its weights back if
// a concurrent save's clean-up removed them before that commit. (A save's clean-up of
// temporaries can still make the other process's save fail, with an error and the folder
// whole: the old model or the new.)
// Reads trust nothing in model.json (./model_json.ts): model.json and every shard must be
// regular files, the shards inside the model's folder (after symbolic links), their byte
// lengths exactly what the manifest's weights need, checked before a byte of them is read,
// all within bounds, a weights file named by a checksum must match it, and no float weight
// may be NaN or infinite. Every refusal is a ModelFileError of one line naming the file.
import { tf } from '../tf';
import { hostFiles, hostFilesOver, type HostFiles, type HostFs } from './host_files';
import { ModelFileError, MODEL_LIMITS, checkModelJson, checkShardSizes, checkWeightValues, isInside, shardFile, type ModelLimits } from './model_json';
import { checkWeightFileName, staleWeightFiles, weightFileName } from './weight_file_name';

const SCHEME = 'file://';
const MODEL_JSON = 'model.json';

export interface FileSystemOptions {
  /** Bounds on what a model may hold (model.json bytes, weight bytes, entries, shards). */
  limits?: ModelLimits;
  /**
   * The file system calls to make (default: the runtime's node:fs/promises): its
   * shape, e.g. a twin that records the calls, or an app's own file system.
   */
  fs?: HostFs;
}

/** An IO handler for the model folder (or its model.json) at `path`: for model.save() and loadLayersModel(). */
export function fileSystem(path: string, { limits = MODEL_LIMITS, fs }: FileSystemOptions = {}): tf.io.IOHandler {
  if (typeof path !== 'string' || path === '') throw new TypeError(`fileSystem() needs a path, got ${JSON.stringify(path)}`);
  if (path.startsWith(SCHEME)) path = path.slice(SCHEME.length);
  const files = async () => {
    const f = await hostFiles();
    if (!f) throw new ModelFileError('file:// models need a file system (Node or Deno); in a browser use indexeddb://, downloads:// or http(s)://');
    return fs ? hostFilesOver(fs, f.path) : f;
  };
  return {
    save: async (artifacts) => {
      const f = await files();
      return oneAtATime(f.path.resolve(path), () => save(f, path, artifacts)).catch((err) => { throw named(err, `cannot save a model into ${path}`); });
    },
    load: async () => load(await files(), path, limits),
  };
}

/** A file system error (EACCES, ENOSPC, …) as a ModelFileError naming the model. */
function named(err: unknown, what: string): Error {
  return err instanceof ModelFileError ? err : new ModelFileError(`${what}: ${(err as Error)?.message ?? String(err)}`);
}

/** The save into each folder that this process runs now (its promise settles when it ends). */
const saving = new Map<string, Promise<unknown>>();

/** Runs `job` after the save into `folder` that is running, if any: saves into one folder never interleave here. */
function oneAtATime<T>(folder: string, job: () => Promise<T>): Promise<T> {
  const before = saving.get(folder) ?? Promise.resolve();
  const run = before.then(job, job);
  const settled = run.then(() => undefined, () => undefined);
  saving.set(folder, settled);
  void settled.then(() => { if (saving.get(folder) === settled) saving.delete(folder); });
  return run;
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
  if (a.modelTopology instanceof ArrayBuffer) throw new ModelFileError(`${dir}: file:// saves models with a JSON topology, not a binary graph`);
  const at = await files.stat(dir);
  if (at && at.kind !== 'directory') throw new ModelFileError(`${dir} exists and is not a folder; file:// saves a model into a folder`);
  await files.makeDirectory(dir);
  const weights = a.weightData === undefined ? new Uint8Array(0) : new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData));
  const shard = weightFileName(weights);
  const json: Record<string, unknown> = {
    modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy,
    signature: a.signature, userDefinedMetadata: a.userDefinedMetadata, modelInitializer: a.modelInitializer,
    initializerSignature: a.initializerSignature, trainingConfig: a.trainingConfig,
    weightsManifest: [{ paths: [shard], weights: a.weightSpecs ?? [] }],
  };
  for (const key of Object.keys(json)) if (json[key] === undefined) delete json[key];
  const shardPath = files.path.join(dir, shard);
  await files.writeFileAtomic(shardPath, weights);
  await files.writeFileAtomic(files.path.join(dir, MODEL_JSON), new TextEncoder().encode(JSON.stringify(json))); // the commit
  await tidyAfterCommit(files, dir, shard, weights);
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
}

/**
 * After the commit: removes the weight files of fsam-edge's naming in `dir` that neither
 * this save (`shard`) nor model.json, read now, names (the previous save's, an orphan of a
 * save that died) — so a concurrent save that committed since keeps its weights; and while
 * model.json names `shard`, puts it back if another process's clean-up removed it between
 * its write and the commit (that clean-up saw a model.json that did not name it yet). The
 * model is saved already, so nothing here fails the save: a file that cannot be removed
 * stays, and the next save tries again.
 */
async function tidyAfterCommit(files: HostFiles, dir: string, shard: string, weights: Uint8Array): Promise<void> {
  try {
    const names = await files.listFolder(dir);
    const named = await weightFilesNamed(files, dir);
    for (const n of staleWeightFiles(names, [shard, ...named])) {
      try { await files.removeFile(files.path.join(dir, n)); } catch { /* stays until the next save */ }
    }
    const shardPath = files.path.join(dir, shard);
    if (named.includes(shard) && !(await files.stat(shardPath))) await files.writeFileAtomic(shardPath, weights);
  } catch { /* as above */ }
}

/** The file names model.json in `dir` names as its weights now (none if it cannot be read or parsed). */
async function weightFilesNamed(files: HostFiles, dir: string): Promise<string[]> {
  try {
    const doc = JSON.parse(new TextDecoder().decode(await files.readFile(files.path.join(dir, MODEL_JSON)))) as { weightsManifest?: { paths?: unknown[] }[] };
    return (Array.isArray(doc.weightsManifest) ? doc.weightsManifest : [])
      .flatMap((group) => (Array.isArray(group?.paths) ? group.paths : []))
      .filter((p): p is string => typeof p === 'string')
      .map((p) => files.path.basename(p));
  } catch {
    return [];
  }
}

const errno = (err: unknown) => (err as { code?: string }).code;

/** Size of a regular file, or a ModelFileError saying why it is not one. */
async function regularFileSize(files: HostFiles, path: string, what: string): Promise<number> {
  let at;
  try {
    at = await files.stat(path);
  } catch (err) {
    throw new ModelFileError(`cannot read ${what} ${path}: ${errno(err) ?? (err as Error).message}`);
  }
  if (!at) throw new ModelFileError(`cannot read ${what} ${path}: no such file`);
  if (at.kind !== 'file') throw new ModelFileError(`${what} ${path} is not a regular file`);
  return at.size;
}

/** Reads exactly `size` bytes, refusing a file that changed size since it was checked. */
async function readExactly(files: HostFiles, path: string, size: number, what: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await files.readFile(path);
  } catch (err) {
    throw new ModelFileError(`cannot read ${what} ${path}: ${errno(err) ?? (err as Error).message}`);
  }
  if (bytes.byteLength !== size) throw new ModelFileError(`${what} ${path} changed while it was read (${bytes.byteLength} bytes, ${size} a moment before)`);
  return bytes;
}

async function load(files: HostFiles, path: string, limits: ModelLimits): Promise<tf.io.ModelArtifacts> {
  const modelJsonPath = (await files.stat(path))?.kind === 'directory' ? files.path.join(path, MODEL_JSON) : path;
  const jsonSize = await regularFileSize(files, modelJsonPath, 'model');
  if (jsonSize > limits.modelJsonBytes) throw new ModelFileError(`model ${modelJsonPath} is ${jsonSize} bytes, over the ${limits.modelJsonBytes}-byte limit of a model.json`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(await readExactly(files, modelJsonPath, jsonSize, 'model')));
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    throw new ModelFileError(`model ${modelJsonPath} is not valid JSON`);
  }
  const m = checkModelJson(doc, modelJsonPath, limits);
  const dir = files.path.dirname(modelJsonPath);
  const realDir = (await files.realPath(dir))!;
  // Every shard is located and measured before any is read.
  const shards: { path: string; file: string; size: number }[] = [];
  for (const [gi, g] of m.groups.entries()) {
    const sizes: number[] = [];
    for (const p of g.paths) {
      const file = shardFile(dir, p, modelJsonPath, files.path);
      const size = await regularFileSize(files, file, `weights file (named by ${modelJsonPath})`);
      if (!isInside(realDir, (await files.realPath(file))!, files.path)) {
        throw new ModelFileError(`${modelJsonPath}: weights path ${JSON.stringify(p)} leads outside the model's folder (through a symbolic link)`);
      }
      shards.push({ path: p, file, size });
      sizes.push(size);
    }
    checkShardSizes(g, sizes, modelJsonPath, `weightsManifest[${gi}]`);
  }
  const data = new Uint8Array(m.weightBytes);
  let at = 0;
  for (const { path: p, file, size } of shards) {
    const bytes = await readExactly(files, file, size, 'weights file');
    checkWeightFileName(p, bytes, file);
    data.set(bytes, at);
    at += size;
  }
  checkWeightValues(m.weightSpecs, data, modelJsonPath);
  const { weightsManifest, ...rest } = doc as tf.io.ModelJSON;
  return {
    ...rest, modelTopology: m.modelTopology, format: m.format, generatedBy: m.generatedBy, convertedBy: m.convertedBy ?? undefined,
    weightSpecs: m.weightSpecs, weightData: data.buffer,
  };
}
