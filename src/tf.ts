// The tfjs-core the library works with: in the add-on build, the app's own (a peer
// dependency); in the self-contained bundle, the one bundled with it (whose gradients and
// chained ops src/platform/bundled_tfjs.ts registers).
import * as tf from '@tensorflow/tfjs-core';
export { tf };
