// What a CLI run needs besides its optimizer, read from files: the model (a file or the
// cached base CNN) and the data (files, validated against the model, or the built-in user
// task on the packaged digits). The tasks themselves are ../personalize/task.ts, shared
// with the browser app.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadModelFiles } from '../node/model_files';
import { readDataset } from '../node/dataset_file';
import { DataError } from '../data/dataset_text';
import { makeDefaultTask } from '../data/default_task';
import { loadMnist } from '../node/mnist';
import { cachedBaseModel } from './base_model';
import { modelSignature, defaultTask, reopenDefaultTask, fileTask, type DataSpec, type Task } from '../personalize/task';
import type { LayersModel } from '../personalize/train';

export type { DataSpec, Task } from '../personalize/task';
export { cloneModel } from '../checkpoint/checkpoint';

/** The model of a run: a model file, or the built-in base CNN (trained first if not cached: `beforeTraining` sees it untrained). */
export async function openModel(modelPath: string | undefined, cacheDir: string, log: (s: string) => void, beforeTraining?: (model: LayersModel) => void): Promise<{ model: LayersModel; source: string }> {
  if (modelPath !== undefined) return { model: await loadModelFiles(modelPath), source: resolve(modelPath) };
  const population = makeDefaultTask(loadMnist()).population;
  const { model, path } = await cachedBaseModel(cacheDir, population, log, beforeTraining);
  return { model, source: `built-in digit CNN (${path})` };
}

export function openDefaultTask(noiseRate: number, seed: number, model: LayersModel, source: string): Task {
  return defaultTask(loadMnist(), noiseRate, seed, model, source);
}

export function openFileTask(dataPath: string, evalPath: string | undefined, holdout: number, seed: number, model: LayersModel, source: string): Task {
  const sig = modelSignature(model, source);
  // Absolute paths: `resume` may run from another directory.
  const data = { ...readDataset(dataPath, sig), path: resolve(dataPath), shownAs: dataPath };
  const evaluation = evalPath === undefined ? undefined : { ...readDataset(evalPath, sig), path: resolve(evalPath) };
  return fileTask(data, evaluation, holdout, seed);
}

/** Rebuilds a checkpoint's task, refusing when a data file changed since. */
export function reopenTask(spec: DataSpec, model: LayersModel, source: string): Task {
  if (spec.kind === 'default') return reopenDefaultTask(spec, loadMnist(), model, source);
  for (const [path, flag] of [[spec.path, '--data'], [spec.evalPath, '--eval']] as const) {
    if (path !== null && !existsSync(path)) throw new DataError(`the run's data file ${path} is not there any more; give its new place with resume ${flag} PATH`);
  }
  const task = openFileTask(spec.path, spec.evalPath ?? undefined, spec.holdout, spec.seed, model, source);
  if (task.spec.kind === 'file' && (task.spec.sha256 !== spec.sha256 || task.spec.evalSha256 !== spec.evalSha256)) {
    throw new DataError(`${spec.path}${spec.evalPath ? ` or ${spec.evalPath}` : ''} changed since the checkpoint was written (SHA-256 differs); resuming would not continue the same run`);
  }
  return task;
}
