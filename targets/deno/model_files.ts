// Model files in Deno through the bundle: model.save('file://…') and
// loadLayersModel('file://…') after ready(), into a temporary folder; then a save of other
// weights over it, which replaces the pair. One JSON line.
import { ready, tf, layers } from 'fsam-edge/bundle';

await ready();
const dir = await Deno.makeTempDir({ prefix: 'fsam-edge-deno-' });
const model = layers.sequential({ layers: [layers.layers.dense({ units: 2, inputShape: [3], activation: 'softmax' })] });
const x = tf.tensor2d([[1, 2, 3]]);
const listing = () => [...Deno.readDirSync(`${dir}/model`)].map((e) => e.name).sort();
const named = () => JSON.parse(Deno.readTextFileSync(`${dir}/model/model.json`)).weightsManifest[0].paths;
const sameAs = async (m: typeof model) => {
  const loaded = await layers.loadLayersModel(`file://${dir}/model/model.json`);
  return Array.from((loaded.predict(x) as tf.Tensor).dataSync()).join() === Array.from((m.predict(x) as tf.Tensor).dataSync()).join();
};
await model.save(`file://${dir}/model`);
const first = { files: listing(), named: named(), same: await sameAs(model) };
model.setWeights(model.getWeights().map((w) => tf.mul(w, 2)));
await model.save(`file://${dir}/model`);
const second = { files: listing(), named: named(), same: await sameAs(model) };
await Deno.remove(dir, { recursive: true });
console.log(JSON.stringify({ first, second }));
