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
import { wrapFusedConvKernels } from './FusedConv_grad';
import { makeConv2DConfig } from './Conv2D';
import { makeBatchMatMulConfig } from './BatchMatMul';
import { makeAddConfig, makeSumConfig } from './BiasBroadcast';
import { makeCastConfig, makeIdentityConfig } from './SharedIdentity';
import { makeClipByValueConfig } from './ClipByValue';
import { makeReluGradConfig, reluGradGradConfig, reluGradKernelConfig } from './ReluGrad';
import { makeMaxPoolConfig } from './MaxPool';
import { makeReluConfig } from './Relu';
import { conv2DBiasReluConfig } from './Conv2DBiasRelu';
import { maxPoolReluGradConfig } from './MaxPoolReluGrad';

export { setTrainingKernelVariant, trainingKernelVariant, type TrainingVariant } from './training_module';
export { setKernelSplitThreshold } from './split';

const kernels: tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
  maxPoolGradConfig,
  reluGradKernelConfig,
  // Fused kernels no op calls: the rewrite of a recorded pass does (src/replay/fuse_memory_passes.ts).
  conv2DBiasReluConfig,
  maxPoolReluGradConfig,
];

let gradientsDone = false;
/** tfjs-wasm's own kernels fsam-edge wraps, and the wrapper each is replaced by. */
const wrapped = new Map<string, tf.KernelConfig>();

function wrap(name: string, make: (original: tf.KernelConfig) => tf.KernelConfig): void {
  const current = tf.getKernel(name, 'wasm');
  if (!current) throw new Error(`tfjs-backend-wasm registered no ${name} kernel`);
  if (current === wrapped.get(name)) return;
  const config = make(current);
  wrapped.set(name, config);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel(config);
}

export function registerTrainingKernels(): void {
  for (const config of kernels) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current === config) continue;
    if (current) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
    ownKernels.add(config.kernelFunc);
  }
  // tfjs-wasm's own kernels, wrapped: Conv2D for NCHW; BatchMatMul's transposed operands
  // transposed first; Add and Sum fast for a bias and its gradient; Identity and a
  // same-dtype Cast sharing their input's data instead of copying it; ClipByValue keeping
  // NaN; MaxPool and Relu (float32) by fsam-edge's kernels, which split over threads.
  wrap('Conv2D', makeConv2DConfig);
  wrap('BatchMatMul', makeBatchMatMulConfig);
  wrap('Add', makeAddConfig);
  wrap('Sum', makeSumConfig);
  wrap('Identity', makeIdentityConfig);
  wrap('Cast', makeCastConfig);
  wrap('ClipByValue', makeClipByValueConfig);
  wrap('MaxPool', makeMaxPoolConfig);
  wrap('Relu', makeReluConfig);
  if (!gradientsDone) {
    const convGrad = tf.getGradient('Conv2D');
    const depthwise = tf.getGradient('DepthwiseConv2dNative');
    if (!convGrad || !depthwise) throw new Error('tfjs-core registered no Conv2D/DepthwiseConv2dNative gradient (is its ESM build loaded?)');
    tf.unregisterGradient('Conv2D');
    tf.registerGradient(makeConv2DGradConfig(convGrad));
    tf.unregisterGradient('DepthwiseConv2dNative');
    tf.registerGradient(makeDepthwiseConv2dNativeGradConfig(depthwise));
    const relu = tf.getGradient('Relu');
    if (!relu) throw new Error('tfjs-core registered no Relu gradient');
    tf.unregisterGradient('Relu');
    tf.registerGradient(makeReluGradConfig(relu));
    tf.registerGradient(reluGradGradConfig);
    gradientsDone = true;
  }
  // Fused convs record their own gradient (tf.fused.*, tfjs-layers' Conv2D): dilated ones get ours.
  wrapFusedConvKernels();
}
