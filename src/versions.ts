// The versions of the tfjs packages bundled into fsam-edge, for reports and cache keys.
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from './tf';
import { layers } from './layers';

export const versions: Readonly<Record<'tfjs-core' | 'tfjs-layers' | 'tfjs-backend-wasm', string>> = Object.freeze({
  'tfjs-core': tf.version_core,
  'tfjs-layers': layers.version_layers,
  'tfjs-backend-wasm': version_wasm,
});
