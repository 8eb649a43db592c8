// Importing fsam-edge into an app that has its tfjs loaded changes nothing: backends and
// their priorities, the chosen backend, registered kernels and gradients, globals, tfjs
// flags and process listeners are as they were. Then tf.ready() picks the app's backend.
import { tf } from './app_tfjs.mjs';

const registry = globalThis._tfGlobals;
const state = () => ({
  backends: Object.entries(tf.engine().registryFactory).map(([name, f]) => `${name}:${f.priority}`),
  backend: tf.engine().backendName,
  kernels: [...registry.get('kernelRegistry').keys()].sort(),
  gradients: [...registry.get('gradRegistry').keys()].sort(),
  globals: Object.keys(globalThis).sort(),
  flags: JSON.stringify(tf.env().flags),
  listeners: ['uncaughtException', 'unhandledRejection', 'exit', 'warning'].map((e) => `${e}:${process.listeners(e).length}`),
});
const before = state();
const lib = await import('fsam-edge');
const after = state();
const changed = Object.keys(before).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
await tf.ready();
console.log(JSON.stringify({
  changed, backendAfterReady: tf.getBackend(), kernels: before.kernels.length,
  sameTf: lib.tf.variable === tf.variable, exports: Object.keys(lib).sort(),
}));
