// Model files in Deno through the bundle: model.save('file://…') and
// loadLayersModel('file://…') after ready(), into a temporary folder. One JSON line.
import { ready, tf, layers } from 'fsam-edge/bundle';

await ready();
const dir = await Deno.makeTempDir({ prefix: 'fsam-edge-deno-' });
const model = layers.sequential({ layers: [layers.layers.dense({ units: 2, inputShape: [3], activation: 'softmax' })] });
const x = tf.tensor2d([[1, 2, 3]]);
await model.save(`file://${dir}/model`);
const loaded = await layers.loadLayersModel(`file://${dir}/model/model.json`);
const files = [...Deno.readDirSync(`${dir}/model`)].map((e) => e.name).sort();
const same = Array.from((loaded.predict(x) as tf.Tensor).dataSync()).join() === Array.from((model.predict(x) as tf.Tensor).dataSync()).join();
await Deno.remove(dir, { recursive: true });
console.log(JSON.stringify({ files, same }));
