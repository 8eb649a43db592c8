// Every entry of the package through import.
import * as addon from 'fsam-edge';
import * as core from 'fsam-edge/core';
import * as bundle from 'fsam-edge/bundle';
import * as tf from '@tensorflow/tfjs-core';
console.log(JSON.stringify({
  addon: typeof addon.FSAM, core: typeof core.createOptimizer, bundle: typeof bundle.FSAM,
  addonTfIsApps: addon.tf.variable === tf.variable, bundleTfIsOwn: bundle.tf.variable !== tf.variable,
}));
