// What a tfjs model.json may say, checked before any file it names is opened: the
// topology is an object, every weight entry has a name, a shape, a dtype and a size within
// bounds, every shard path stays inside the model's folder, the shards' byte lengths add
// up to exactly what the weights need, and no float weight is NaN or infinite. Pure: no
// file system here, and the path arithmetic is the caller's (Node's or Deno's node:path,
// ./host_files.ts), so a loader (the file:// IO handler, ./file_system.ts, which the CLI
// uses too; an app reading files a user picked) stats and reads the files itself and asks
// these functions about what it found. Every defect is a ModelFileError with one line
// naming the file and the place.
import type { tf } from '../tf';

/** The path functions the shard checks need: node:path's, for the platform the files are on. */
export interface PathFunctions {
  isAbsolute(p: string): boolean;
  relative(from: string, to: string): string;
  resolve(...parts: string[]): string;
  readonly sep: string;
}

export class ModelFileError extends Error {
  constructor(message: string) { super(message); this.name = 'ModelFileError'; }
}

export interface ModelLimits {
  /** Largest model.json read, bytes. */
  modelJsonBytes: number;
  /** Largest total of weight bytes (all shards together). */
  weightBytes: number;
  /** Most weight entries and most shard files. */
  weights: number;
  shards: number;
}

export const MODEL_LIMITS: ModelLimits = { modelJsonBytes: 64 * 2 ** 20, weightBytes: 2 ** 30, weights: 100_000, shards: 10_000 };

export type WeightSpec = tf.io.WeightsManifestEntry;

export interface ManifestGroup {
  paths: string[];
  weights: WeightSpec[];
  /** Bytes the group's shards hold together: what its weights need. */
  bytes: number;
}

export interface CheckedModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  groups: ManifestGroup[];
  /** Every group's weights, in the order their bytes follow each other. */
  weightSpecs: WeightSpec[];
  weightBytes: number;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const show = (x: unknown) => { const t = JSON.stringify(x); return t === undefined ? String(x) : t.length > 60 ? `${t.slice(0, 57)}...` : t; };

/** Bytes one weight entry takes, checked; `where` names it in errors. */
function entryBytes(e: unknown, where: string, fail: (why: string) => never, limits: ModelLimits): number {
  if (!isObject(e)) return fail(`${where} is ${show(e)}, not a weight entry`);
  if (typeof e.name !== 'string' || e.name === '') fail(`${where} has no name (got ${show(e.name)})`);
  const at = `${where} ('${e.name}')`;
  if (!Array.isArray(e.shape) || e.shape.length > 8) fail(`${at}: shape ${show(e.shape)} is not a list of at most 8 sizes`);
  let size = 1;
  for (const d of e.shape as unknown[]) {
    if (!Number.isSafeInteger(d) || (d as number) < 0) fail(`${at}: shape ${show(e.shape)} has a size that is not an integer >= 0`);
    size *= d as number;
  }
  if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) fail(`${at}: dtype ${show(e.dtype)} is not one of ${Object.keys(DTYPE_BYTES).join(', ')}`);
  let bytes = DTYPE_BYTES[e.dtype as string];
  if (e.quantization !== undefined) {
    const q = e.quantization;
    if (!isObject(q) || typeof q.dtype !== 'string' || !(q.dtype in QUANTIZED_BYTES)) fail(`${at}: quantization ${show(q)} is not uint8, uint16 or float16`);
    const qd = (q as { dtype: string }).dtype;
    if (qd !== 'float16' && !(Number.isFinite((q as { scale?: unknown }).scale) && Number.isFinite((q as { min?: unknown }).min))) {
      fail(`${at}: ${qd} quantization needs a finite scale and min`);
    }
    if (e.dtype !== 'float32' && !(e.dtype === 'int32' && qd !== 'float16')) fail(`${at}: ${qd} quantization of ${e.dtype} is not supported`);
    bytes = QUANTIZED_BYTES[qd];
  }
  if (size * bytes > limits.weightBytes) fail(`${at}: shape ${show(e.shape)} needs ${size * bytes} bytes, over the ${limits.weightBytes}-byte limit`);
  return size * bytes;
}

/** Checks a list of weight entries (a manifest group's, a checkpoint's); returns them and their bytes. */
export function checkWeightSpecs(specs: unknown, name: string, where: string, limits: ModelLimits = MODEL_LIMITS, seen = new Set<string>()): { specs: WeightSpec[]; bytes: number } {
  const fail = (why: string): never => { throw new ModelFileError(`${name}: ${why}`); };
  if (!Array.isArray(specs)) return fail(`${where} is ${show(specs)}, not a list of weight entries`);
  if (specs.length > limits.weights) fail(`${where} lists ${specs.length} weights, over the limit of ${limits.weights}`);
  let bytes = 0;
  specs.forEach((e, i) => {
    bytes += entryBytes(e, `${where}[${i}]`, fail, limits);
    const n = (e as { name: string }).name;
    if (seen.has(n)) fail(`${where}[${i}]: weight '${n}' is listed twice`);
    seen.add(n);
    if (bytes > limits.weightBytes) fail(`the weights need more than ${limits.weightBytes} bytes, the limit`);
  });
  return { specs: specs as WeightSpec[], bytes };
}

/** Checks a parsed model.json (layers format); `name` (its path) is used in errors. */
export function checkModelJson(doc: unknown, name: string, limits: ModelLimits = MODEL_LIMITS): CheckedModelJson {
  const fail = (why: string): never => { throw new ModelFileError(`${name}: ${why}`); };
  if (!isObject(doc)) return fail('not a tfjs layers model.json (expected an object with modelTopology and weightsManifest)');
  if (!isObject(doc.modelTopology)) fail(`modelTopology is ${show(doc.modelTopology)}, not an object (is this a tfjs layers model.json?)`);
  for (const k of ['format', 'generatedBy'] as const) if (doc[k] !== undefined && typeof doc[k] !== 'string') fail(`${k} is ${show(doc[k])}, not a string`);
  if (doc.convertedBy !== undefined && doc.convertedBy !== null && typeof doc.convertedBy !== 'string') fail(`convertedBy is ${show(doc.convertedBy)}, not a string`);
  const manifest = doc.weightsManifest;
  if (!Array.isArray(manifest)) return fail(`weightsManifest is ${show(manifest)}, not a list of weight groups`);
  const groups: ManifestGroup[] = [];
  const seen = new Set<string>();
  let total = 0, shards = 0;
  manifest.forEach((g, i) => {
    const where = `weightsManifest[${i}]`;
    if (!isObject(g)) fail(`${where} is ${show(g)}, not a weight group ({paths, weights})`);
    const group = g as Record<string, unknown>;
    if (!Array.isArray(group.paths)) fail(`${where}.paths is ${show(group.paths)}, not a list of file names`);
    const paths = group.paths as unknown[];
    paths.forEach((p, j) => { if (typeof p !== 'string' || p === '') fail(`${where}.paths[${j}] is ${show(p)}, not a file name`); });
    shards += paths.length;
    if (shards > limits.shards) fail(`the manifest names more than ${limits.shards} shard files, the limit`);
    const { specs, bytes } = checkWeightSpecs(group.weights, name, `${where}.weights`, limits, seen);
    if (bytes > 0 && paths.length === 0) fail(`${where} has ${specs.length} weights (${bytes} bytes) but no shard file`);
    total += bytes;
    if (total > limits.weightBytes) fail(`the weights need more than ${limits.weightBytes} bytes, the limit`);
    groups.push({ paths: paths as string[], weights: specs, bytes });
  });
  return {
    modelTopology: doc.modelTopology as object,
    format: doc.format as string | undefined, generatedBy: doc.generatedBy as string | undefined, convertedBy: doc.convertedBy as string | null | undefined,
    groups, weightSpecs: groups.flatMap((g) => g.weights), weightBytes: total,
  };
}

/**
 * The file a shard path names, which must lie inside the model's folder: a relative path
 * with no way out ('..', an absolute path, a drive or URL). The loader must still check
 * that the file it finds there is a regular file, and that symbolic links do not lead out.
 */
export function shardFile(modelDir: string, path: string, name: string, { isAbsolute, relative, resolve, sep }: PathFunctions): string {
  const fail = (why: string): never => { throw new ModelFileError(`${name}: weights path ${show(path)} ${why}`); };
  if (path.includes('\0')) fail('holds a NUL byte');
  if (isAbsolute(path) || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path) || path.startsWith('\\')) fail("is not relative to the model's folder");
  const dir = resolve(modelDir);
  const file = resolve(dir, path);
  const rel = relative(dir, file);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) fail("leads outside the model's folder");
  return file;
}

/** `isInside(dir, file)`: the real (symlink-free) path of a shard stays in the real model folder. */
export function isInside(dir: string, file: string, { isAbsolute, relative, sep }: PathFunctions): boolean {
  const rel = relative(dir, file);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** A group's shard files hold exactly the bytes its weights need (sizes from stat, before reading). */
export function checkShardSizes(group: ManifestGroup, sizes: number[], name: string, where: string): void {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== group.bytes) {
    const files = group.paths.map((p, i) => `${p} ${sizes[i]}`).join(', ');
    throw new ModelFileError(`${name}: ${where}'s shard files hold ${total} bytes (${files}) but its weights need exactly ${group.bytes}`);
  }
}

/** Names the first NaN or infinite value of a float weight: weight, layer and index. */
export function checkWeightValues(specs: WeightSpec[], bytes: Uint8Array, name: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  for (const s of specs) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const q = s.quantization?.dtype;
    const width = q ? QUANTIZED_BYTES[q] : DTYPE_BYTES[s.dtype];
    if (s.dtype === 'float32' && (q === undefined || q === 'float16')) {
      for (let i = 0; i < size; i++) {
        const finite = q ? (view.getUint16(at + 2 * i, true) & 0x7c00) !== 0x7c00 : Number.isFinite(view.getFloat32(at + 4 * i, true));
        if (!finite) {
          const value = q ? 'NaN or infinite (float16)' : String(view.getFloat32(at + 4 * i, true));
          const layer = s.name.includes('/') ? s.name.slice(0, s.name.lastIndexOf('/')) : s.name;
          throw new ModelFileError(`${name}: weight '${s.name}' (layer ${layer}) is ${value} at index ${i}${s.shape.length > 1 ? ` ([${unravel(i, s.shape).join(', ')}])` : ''}`);
        }
      }
    }
    at += size * width;
  }
}

function unravel(i: number, shape: number[]): number[] {
  const out: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) { out.unshift(i % shape[k]); i = Math.floor(i / shape[k]); }
  return out;
}
