// The one tfjs-core instance the library and its users share. The ESM build (bundled)
// is the one whose gradient registrations reach this instance.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
export { tf };
