// Gradients of tfjs-core's fused conv2d and depthwiseConv2d (tf.fused.*; tfjs-layers'
// Conv2D with a linear activation) for dilations > 1. Those ops record their own gradient,
// a closure on the tape node named after the op's scope ('fusedConv2d__op'), which
// rejects dilations > 1. The self-contained bundle sends dilated convs down the unfused
// path at build time (scripts/build.mjs); the add-on runs the app's tfjs, so here, at
// run time:
//  - each backend's FusedConv2D / FusedDepthwiseConv2D kernel is wrapped, to record the
//    attributes of every conv run while gradients are recorded (keyed by its output's
//    data, which the tape node saves);
//  - the first dilated one registers a gradient under the op's scope name, which tfjs's
//    engine then prefers to the closure for the fused convs recorded from then on. It
//    computes what the closure does — through the registered Conv2D / DepthwiseConv2dNative
//    gradients, which fsam-edge completes for dilations > 1 — and a gradient the app
//    registered under that name keeps every undilated conv.
import { tf } from '../tf';

type T4 = tf.Tensor4D;

interface Fused {
  kernel: 'FusedConv2D' | 'FusedDepthwiseConv2D';
  scope: string; // the op's scope name: tfjs's op() appends '__op' to the op function's name
  unfused: 'Conv2D' | 'DepthwiseConv2dNative';
}
const FUSED: Fused[] = [
  { kernel: 'FusedConv2D', scope: 'fusedConv2d__op', unfused: 'Conv2D' },
  { kernel: 'FusedDepthwiseConv2D', scope: 'fusedDepthwiseConv2d__op', unfused: 'DepthwiseConv2dNative' },
];

/** The attributes of fused convs run while gradients were recorded, by their output's data. */
const attrsOf = new WeakMap<object, tf.NamedAttrMap>();
const ourKernels = new Set<unknown>();
const ourGradients = new Set<unknown>();

const dilated = (attrs: tf.NamedAttrMap) => !tf.backend_util.tupleValuesAreOne((attrs.dilations ?? 1) as number | [number, number]);

/** Wraps the fused conv kernels of every backend registered now (idempotent; ready() calls it). */
export function wrapFusedConvKernels(): void {
  for (const backend of tf.engine().backendNames()) {
    for (const f of FUSED) {
      const current = tf.getKernel(f.kernel, backend);
      if (!current || ourKernels.has(current.kernelFunc)) continue;
      const kernelFunc: tf.KernelFunc = (args) => {
        const out = current.kernelFunc(args);
        if (tf.engine().state.gradientDepth > 0) {
          attrsOf.set((Array.isArray(out) ? out[0] : out).dataId, args.attrs ?? {});
          if (dilated(args.attrs ?? {})) registerFusedGradient(f);
        }
        return out;
      };
      ourKernels.add(kernelFunc);
      tf.unregisterKernel(f.kernel, backend);
      tf.registerKernel({ ...current, kernelFunc });
    }
  }
}

function registerFusedGradient(f: Fused): void {
  const current = tf.getGradient(f.scope);
  if (current && ourGradients.has(current.gradFunc)) return;
  const gradFunc: tf.GradFunc = (dy, saved, attrs) => {
    const [filter, x, y, bias] = saved as [T4, T4, T4, tf.Tensor | undefined];
    const a = attrsOf.get(y.dataId);
    if (!a) {
      throw new Error(`fsam-edge: the gradient of ${f.scope.replace('__op', '')} found no attributes for this conv: ` +
        `backend '${tf.getBackend()}' was registered after ready(); call ready() again after registering it`);
    }
    if (current && !dilated(a)) return current.gradFunc(dy, saved, attrs); // the app's own
    if (a.dataFormat === 'NCHW') throw new Error(`fsam-edge: the gradient of ${f.scope.replace('__op', '')} supports NHWC only, as tfjs-core's`);
    const dyActivation = a.activation === 'relu' ? tf.mul(dy as T4, tf.step(y)) : dy as T4;
    if (a.activation !== 'linear' && a.activation !== 'relu' && a.activation != null) {
      throw new Error(`fsam-edge: no gradient for ${f.scope.replace('__op', '')}'s fused activation '${String(a.activation)}'`);
    }
    const convGrad = tf.getGradient(f.unfused);
    if (!convGrad) throw new Error(`tfjs-core registered no ${f.unfused} gradient`);
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = a;
    const grads = convGrad.gradFunc(dyActivation, [x, filter], { strides, pad, dataFormat, dilations, dimRoundingMode });
    const out: Record<string, () => tf.Tensor> = { 0: grads.x, 1: grads.filter };
    if (bias) {
      out[2] = () => {
        const axes = tf.backend_util.getReductionAxes(bias.shape, dyActivation.shape);
        return tf.reshape(axes.length > 0 ? tf.sum(dyActivation, axes) : dyActivation, bias.shape);
      };
    }
    return out;
  };
  ourGradients.add(gradFunc);
  if (current) tf.unregisterGradient(f.scope);
  tf.registerGradient({ kernelName: f.scope, gradFunc });
}
