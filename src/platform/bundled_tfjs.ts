// What the builds that carry their own tfjs add to it (the self-contained bundle
// dist/fsam-edge.js, the CLI, the study, test and bench bundles of src/): tfjs-core's
// gradients and chained tensor methods registered on the bundled tfjs-core, and
// tfjs-backend-wasm's SIMD binary embedded, so ready() hands it to the loader without
// any fetch. The add-on build (dist/addon.js) replaces this module with ./peer_tfjs.ts:
// there, the app's tfjs is the tfjs, and its tfjs-backend-wasm brings its own binary.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import simdBinary from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';

/** tfjs-backend-wasm's SIMD binary, when this build embeds one. */
export const embeddedTfjsWasmBinary: Uint8Array | undefined = simdBinary;

/** The bundled tfjs-backend-wasm's version, known without importing (and so registering) it. */
export { version as tfjsWasmVersion } from '@tensorflow/tfjs-backend-wasm/dist/version';
