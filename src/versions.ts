// The versions of the tfjs packages fsam-edge runs on, for reports and cache keys: the
// bundled ones in the self-contained bundle; in the add-on, the app's (tfjs-backend-wasm's
// once ready() has imported it: importing it earlier would register its backend).
import { tf } from './tf';
import { layers } from './layers';
import { tfjsWasmVersion } from './platform/bundled_tfjs';
import { loadedTfjsWasmVersion } from './backend/wasm_loader';

export const versions: Readonly<Record<'tfjs-core' | 'tfjs-layers' | 'tfjs-backend-wasm', string>> = Object.freeze({
  'tfjs-core': tf.version_core,
  'tfjs-layers': layers.version_layers,
  get 'tfjs-backend-wasm'() { return tfjsWasmVersion ?? loadedTfjsWasmVersion() ?? 'not imported yet (ready() imports it)'; },
});
