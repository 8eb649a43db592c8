// tfjs-format model files on disk (model.json + weights binaries), which tfjs's own
// file:// handler would read only under tfjs-node. Read strictly; written atomically.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tf, layers } from '../index';
import { modelArtifacts, weightBytes, ownBuffer } from './checkpoint';
import { writeFileAtomic } from './atomic';

type LayersModel = Awaited<ReturnType<typeof layers.loadLayersModel>>;

export class ModelFileError extends Error {
  constructor(message: string) { super(message); this.name = 'ModelFileError'; }
}

export async function loadModelFiles(modelJsonPath: string): Promise<LayersModel> {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(readFileSync(modelJsonPath, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelFileError(code ? `cannot read model ${modelJsonPath}: ${code === 'ENOENT' ? 'no such file' : code}` : `model ${modelJsonPath} is not valid JSON`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ModelFileError(`${modelJsonPath} is not a tfjs layers model.json (needs modelTopology and weightsManifest)`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const file = resolve(dirname(modelJsonPath), p);
      try {
        buffers.push(ownBuffer(readFileSync(file)));
      } catch {
        throw new ModelFileError(`cannot read weights file ${file} named by ${modelJsonPath}`);
      }
    }
    specs.push(...group.weights);
  }
  try {
    return await layers.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology, weightSpecs: specs, weightData: tf.io.concatenateArrayBuffers(buffers),
      format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy,
    }));
  } catch (err) {
    throw new ModelFileError(`model ${modelJsonPath} does not load: ${(err as Error).message}`);
  }
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
