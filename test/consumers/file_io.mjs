// model.save('file://…') and loadLayersModel('file://…') in Node after ready(): a round
// trip with the app's own model, the files the CLI reads, and a manifest that points
// outside the model's folder, at a device, or at too many bytes, and a damaged weights
// file, refused by name.
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
const [shardName] = json.weightsManifest[0].paths; // weights.<checksum>.bin
const shard = readFileSync(`${dir}/model/${shardName}`);
const attempt = async (name, mutate) => {
  const d = join(dir, name);
  mkdirSync(d);
  writeFileSync(join(d, shardName), shard);
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
writeFileSync(join(dir, 'secret.bin'), shard);
await attempt('outside', (j) => { j.weightsManifest[0].paths = ['../secret.bin']; });
await attempt('device', (j) => { j.weightsManifest[0].paths = ['/dev/zero']; });
await attempt('symlink', (j, d) => { symlinkSync(join(dir, 'secret.bin'), join(d, 'link.bin')); j.weightsManifest[0].paths = ['link.bin']; });
await attempt('extra', (j, d) => { writeFileSync(join(d, shardName), Buffer.concat([shard, Buffer.alloc(4)])); });
await attempt('flipped', (j, d) => { const b = Buffer.from(shard); b[9] ^= 1; writeFileSync(join(d, shardName), b); });
await attempt('nulls', (j) => { j.weightsManifest = [null]; });
const procSave = await model.save('file:///proc/fsam-edge-no-such-folder/model').then(() => 'saved', (err) => `${err.name}: ${err.message}`);
console.log(JSON.stringify({ procSave,
  files: readdirSync(`${dir}/model`).sort(), shardName, bytes: saved.modelArtifactsInfo.weightDataBytes,
  roundTrip: same(loaded) && same(again), refusals,
}));
