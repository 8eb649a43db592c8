// A tfjs layers model from files in memory: the app's built-in model (fetched beside the
// page) or the model.json and weight files a person picked. The same checks as the CLI's
// file:// loader (src/io/model_json.ts) before tfjs reads a byte: a sound model.json,
// shards that are the files picked with it, their sizes what the weights need, a weights
// file named by its checksum matching it (src/io/weight_file_name.ts), no NaN.
import { tf, layers, ModelFileError, MODEL_LIMITS, checkModelJson, checkShardSizes, checkWeightValues, checkWeightFileName, weightFileName } from '../../index';
import { withWarningsHeld, modelArtifacts, weightBytes } from '../../checkpoint/checkpoint';
import type { LayersModel } from '../../personalize/train';
import type { NamedBytes } from '../common/protocol';

/** The model.json among `files` (the one so named, else the only .json). */
function modelJsonOf(files: NamedBytes[]): NamedBytes {
  const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  const named = jsons.find((f) => f.name === 'model.json') ?? (jsons.length === 1 ? jsons[0] : undefined);
  if (!named) {
    throw new ModelFileError(jsons.length === 0
      ? `no model.json among ${files.map((f) => f.name).join(', ')}: choose a tfjs model's model.json and its weight files together`
      : `${jsons.map((f) => f.name).join(', ')}: several .json files; choose one model.json and its weight files`);
  }
  return named;
}

export async function modelFromFiles(files: NamedBytes[]): Promise<LayersModel> {
  const json = modelJsonOf(files);
  const name = json.name;
  if (json.bytes.byteLength > MODEL_LIMITS.modelJsonBytes) throw new ModelFileError(`${name} is ${json.bytes.byteLength} bytes, over the ${MODEL_LIMITS.modelJsonBytes}-byte limit of a model.json`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(json.bytes));
  } catch {
    throw new ModelFileError(`${name} is not valid JSON`);
  }
  const m = checkModelJson(doc, name);
  const data = new Uint8Array(m.weightBytes);
  let at = 0;
  for (const [gi, g] of m.groups.entries()) {
    const shards = g.paths.map((p) => {
      const file = p.includes('/') || p.includes('\\') ? undefined : files.find((f) => f.name === p);
      if (!file) throw new ModelFileError(`${name}: its weights file ${JSON.stringify(p)} was not chosen with it; choose model.json and its weight files together`);
      return file;
    });
    checkShardSizes(g, shards.map((f) => f.bytes.byteLength), name, `weightsManifest[${gi}]`);
    for (const f of shards) {
      checkWeightFileName(f.name, f.bytes);
      data.set(f.bytes, at);
      at += f.bytes.byteLength;
    }
  }
  checkWeightValues(m.weightSpecs, data, name);
  try {
    return await withWarningsHeld(() => layers.loadLayersModel(tf.io.fromMemory({
      modelTopology: m.modelTopology, weightSpecs: m.weightSpecs, weightData: data.buffer, format: m.format, generatedBy: m.generatedBy,
    })));
  } catch (err) {
    throw new ModelFileError(`${name} does not load: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
  }
}

/** The weights files a model.json names, in order (what to fetch beside it); [] when it names none the loader could find. */
export function weightFilesNamed(modelJson: Uint8Array): string[] {
  let doc: unknown;
  try { doc = JSON.parse(new TextDecoder().decode(modelJson)); } catch { return []; }
  const groups = (doc as { weightsManifest?: unknown })?.weightsManifest;
  if (!Array.isArray(groups)) return [];
  return groups.flatMap((g) => (Array.isArray(g?.paths) ? g.paths : []))
    .filter((p): p is string => typeof p === 'string' && p !== '' && !p.includes('/') && !p.includes('\\'));
}

/** model.json and weights.<checksum>.bin of a model, byte for byte as the CLI's file:// handler writes them (src/io/file_system.ts). */
export async function modelFiles(model: LayersModel): Promise<NamedBytes[]> {
  const a = await modelArtifacts(model);
  const weights = weightBytes(a.weightData);
  const shard = weightFileName(weights);
  const json: Record<string, unknown> = {
    modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy,
    signature: a.signature, userDefinedMetadata: a.userDefinedMetadata, modelInitializer: a.modelInitializer,
    initializerSignature: a.initializerSignature, trainingConfig: a.trainingConfig,
    weightsManifest: [{ paths: [shard], weights: a.weightSpecs ?? [] }],
  };
  for (const key of Object.keys(json)) if (json[key] === undefined) delete json[key];
  return [
    { name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(json)) },
    { name: shard, bytes: weights },
  ];
}
