// A saved model's folder as the tests read it: the weights files are the ones its
// model.json names (fsam-edge names its one shard weights.<checksum>.bin,
// src/io/weight_file_name.ts; other tools write weights.bin or group1-shard1of1.bin).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The weights files `dir`/model.json names, in order. */
export const weightFilesOf = (dir) => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).weightsManifest.flatMap((g) => g.paths);

/** The path of the one weights file `dir`/model.json names (fsam-edge writes one). */
export function shardOf(dir) {
  const files = weightFilesOf(dir);
  if (files.length !== 1) throw new Error(`${dir}/model.json names ${files.length} weights files, not one`);
  return join(dir, files[0]);
}

/** The weight bytes of the model in `dir`: its weights files, one after another. */
export const weightsOf = (dir) => Buffer.concat(weightFilesOf(dir).map((f) => readFileSync(join(dir, f))));
