// The CLI's tfjs-format model files on disk (model.json + weights binaries): read and
// written by the library's file:// handler (src/io/file_system.ts), which trusts nothing in
// them (src/io/model_json.ts) and writes atomically. Here: its errors as one line each.
import { layers, fileSystem, ModelFileError, MODEL_LIMITS, type ModelLimits } from '../index';
import { withWarningsHeld } from '../checkpoint/checkpoint';

export { ModelFileError } from '../index';

type LayersModel = Awaited<ReturnType<typeof layers.loadLayersModel>>;

export async function loadModelFiles(modelJsonPath: string, limits: ModelLimits = MODEL_LIMITS): Promise<LayersModel> {
  try {
    return await withWarningsHeld(() => layers.loadLayersModel(fileSystem(modelJsonPath, { limits })));
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    throw new ModelFileError(`model ${modelJsonPath} does not load: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
  }
}

/** Writes dir/model.json and dir/weights.<checksum>.bin, replacing the model there as a pair (src/io/file_system.ts). */
export async function saveModelFiles(dir: string, model: LayersModel): Promise<void> {
  await model.save(fileSystem(dir));
}
