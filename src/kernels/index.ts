// Training kernels that tfjs-backend-wasm lacks or runs slowly, registered for 'wasm' by
// ready(), and the conv gradients completed for dilations > 1. Idempotent.
//
// tfjs's registries: registerKernel for a name already registered on a backend warns
// ("already registered") and overrides; registerGradient overrides (warning only with
// the DEBUG flag). We unregister first, so nothing warns and the replaced configs stay
// reachable for the gradients' dilation-1 path.
import { tf } from '../tf';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput';
import { unsortedSegmentSumConfig } from './UnsortedSegmentSum';
import { maxPoolGradConfig } from './MaxPoolGrad';
import { makeConv2DGradConfig, ownKernels } from './Conv2D_grad';
import { makeDepthwiseConv2dNativeGradConfig } from './DepthwiseConv2dNative_grad';
import { makeConv2DConfig } from './Conv2D';
import { makeBatchMatMulConfig } from './BatchMatMul';

export { setTrainingKernelVariant, trainingKernelVariant, type TrainingVariant } from './training_module';

const kernels: tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
  maxPoolGradConfig,
];

let gradientsDone = false;
let conv2DConfig: tf.KernelConfig | undefined;
let batchMatMulConfig: tf.KernelConfig | undefined;

export function registerTrainingKernels(): void {
  for (const config of kernels) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current === config) continue;
    if (current) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
    ownKernels.add(config.kernelFunc);
  }
  // Conv2D: tfjs-wasm's own, wrapped for NCHW.
  const conv = tf.getKernel('Conv2D', 'wasm');
  if (!conv) throw new Error("tfjs-backend-wasm registered no Conv2D kernel");
  if (conv !== conv2DConfig) {
    conv2DConfig = makeConv2DConfig(conv);
    tf.unregisterKernel('Conv2D', 'wasm');
    tf.registerKernel(conv2DConfig);
  }
  // BatchMatMul: tfjs-wasm's own, with transposed operands transposed first.
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  if (!matMul) throw new Error("tfjs-backend-wasm registered no BatchMatMul kernel");
  if (matMul !== batchMatMulConfig) {
    batchMatMulConfig = makeBatchMatMulConfig(matMul);
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel(batchMatMulConfig);
  }
  if (!gradientsDone) {
    const convGrad = tf.getGradient('Conv2D');
    const depthwise = tf.getGradient('DepthwiseConv2dNative');
    if (!convGrad || !depthwise) throw new Error('tfjs-core registered no Conv2D/DepthwiseConv2dNative gradient (is its ESM build loaded?)');
    tf.unregisterGradient('Conv2D');
    tf.registerGradient(makeConv2DGradConfig(convGrad));
    tf.unregisterGradient('DepthwiseConv2dNative');
    tf.registerGradient(makeDepthwiseConv2dNativeGradConfig(depthwise));
    gradientsDone = true;
  }
}
