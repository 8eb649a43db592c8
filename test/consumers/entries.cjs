// Every entry of the package through require(): the add-on, the framework-free core and
// the self-contained bundle; then the add-on trains a step on 'wasm'.
const addon = require('fsam-edge');
const core = require('fsam-edge/core');
const bundle = require('fsam-edge/bundle');
const tf = require('@tensorflow/tfjs-core');
console.log(JSON.stringify({
  addon: typeof addon.FSAM, core: typeof core.createOptimizer, bundle: typeof bundle.FSAM,
  addonTfIsApps: addon.tf.variable === tf.variable, bundleTfIsOwn: bundle.tf.variable !== tf.variable,
  version: require('fsam-edge/package.json').version,
}));
