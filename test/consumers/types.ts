// Type-checked (tsc --noEmit under Bundler and NodeNext resolution) in a fresh project:
// the add-on's types are the app's tfjs types, the core entry has its own, and a
// misspelt option is an error.
import { ready, tf, layers, FSAM, SAM, SGD, AdamW, fileSystem, WasmLoadError, type ReadyOptions } from 'fsam-edge';
import { createOptimizer, type CoreOptimizer } from 'fsam-edge/core';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

const options: ReadyOptions = { keepBackend: true };
await ready(options);
await ready({ wasmPaths: '/wasm/' });
// @ts-expect-error: ready() has no option 'keepBackends'
await ready({ keepBackends: true });
// @ts-expect-error: FSAM has no option 'rhoo'
new FSAM({ rhoo: 0.1 });
// @ts-expect-error: sigma is F-SAM's, not SAM's
new SAM({ sigma: 1 });

const x: tfc.Tensor2D = tf.tensor2d([[1], [2]]);
const model: tfl.Sequential = layers.sequential({ layers: [layers.layers.dense({ units: 1, inputShape: [1] })] });
const optimizer: tfc.Optimizer = new FSAM({ learningRate: 0.05, rho: 0.1, base: 'adamw' });
model.compile({ optimizer, loss: 'meanSquaredError' });
const h: tfl.History = await model.fit(x, tf.tensor2d([[3], [5]]), { epochs: 1 });
const saved: tfc.io.SaveResult = await model.save(fileSystem('out/model'));
const baselines: tfc.Optimizer[] = [new SGD({ momentum: 0.9 }), new AdamW({ weightDecay: 0.01 })];
const report = new FSAM().memory();
const bytes: number | undefined = report?.totalBytes;
const core: CoreOptimizer = await createOptimizer({ variables: [{ name: 'w', size: 4 }], sharpness: 'fsam' });
if (h.epoch.length !== 1 || !saved || baselines.length !== 2 || bytes === -1 || !core || !(new WasmLoadError('x') instanceof Error)) throw new Error('unreachable');
