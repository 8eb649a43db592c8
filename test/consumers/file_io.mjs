// model.save('file://…') and loadLayersModel('file://…') in Node after ready(): a round
// trip with the app's own model, the files the CLI reads, and a manifest that points
// outside the model's folder, at a device, or at too many bytes, refused by name.
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, tfl } from './app_tfjs.mjs';
import { ready, fileSystem } from 'fsam-edge';

await ready();
const dir = mkdtempSync(join(tmpdir(), 'fsam-edge-file-io-'));
const model = tfl.sequential({ layers: [
  tfl.layers.dense({ units: 4, activation: 'relu', inputShape: [3] }),
  tfl.layers.dense({ units: 2, activation: 'softmax' }),
] });
const x = tf.tensor2d([[1, 2, 3], [-1, 0.5, 2]]);
const saved = await model.save(`file://${dir}/model`);
const loaded = await tfl.loadLayersModel(`file://${dir}/model/model.json`);
const again = await tfl.loadLayersModel(fileSystem(`${dir}/model`));
const same = (m) => Array.from(m.predict(x).dataSync()).every((v, i) => v === model.predict(x).dataSync()[i]);

const refusals = {};
const json = JSON.parse(readFileSync(`${dir}/model/model.json`, 'utf8'));
const attempt = async (name, mutate) => {
  const d = join(dir, name);
  mkdirSync(d);
  writeFileSync(join(d, 'weights.bin'), readFileSync(`${dir}/model/weights.bin`));
  const j = structuredClone(json);
  mutate(j, d);
  writeFileSync(join(d, 'model.json'), JSON.stringify(j));
  try {
    await tfl.loadLayersModel(`file://${d}/model.json`);
    refusals[name] = 'loaded';
  } catch (err) {
    refusals[name] = `${err.name}: ${err.message.replace(dir, '<dir>')}`;
  }
};
writeFileSync(join(dir, 'secret.bin'), readFileSync(`${dir}/model/weights.bin`));
await attempt('outside', (j) => { j.weightsManifest[0].paths = ['../secret.bin']; });
await attempt('device', (j) => { j.weightsManifest[0].paths = ['/dev/zero']; });
await attempt('symlink', (j, d) => { symlinkSync(join(dir, 'secret.bin'), join(d, 'link.bin')); j.weightsManifest[0].paths = ['link.bin']; });
await attempt('extra', (j, d) => { writeFileSync(join(d, 'weights.bin'), Buffer.concat([readFileSync(join(d, 'weights.bin')), Buffer.alloc(4)])); });
await attempt('nulls', (j) => { j.weightsManifest = [null]; });
const procSave = await model.save('file:///proc/fsam-edge-no-such-folder/model').then(() => 'saved', (err) => `${err.name}: ${err.message}`);
console.log(JSON.stringify({ procSave,
  files: readdirSync(`${dir}/model`).sort(), bytes: saved.modelArtifactsInfo.weightDataBytes,
  roundTrip: same(loaded) && same(again), refusals,
}));
