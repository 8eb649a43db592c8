// With @tensorflow/tfjs (which registers tfjs-core's chained tensor methods), the add-on's
// tf is the same tfjs-core, so chained methods type-check through it too, under NodeNext.
import * as tfjs from '@tensorflow/tfjs';
import { tf, FSAM } from 'fsam-edge';

const w = tf.variable(tf.scalar(0));
new FSAM().minimize(() => tfjs.tensor1d([1, 2]).sub(w).square().mean() as tfjs.Scalar);
const y: tfjs.Tensor1D = tf.tensor1d([1]).square();
void y;
