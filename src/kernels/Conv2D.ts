// Conv2D for 'wasm' with NCHW support: tfjs-wasm's own kernel (XNNPACK) computes NHWC
// only and throws on NCHW; this wrapper transposes NCHW to NHWC and back around it,
// and passes NHWC straight through. It keeps the original's setup (its cwrap binding).
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { toNCHW, toNHWC } from './conv_util';

type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };

/** The NHWC form of an explicit NCHW padding [[0,0],[0,0],[t,b],[l,r]]. */
export function nhwcPad(pad: unknown): unknown {
  return Array.isArray(pad) ? [pad[0], pad[2], pad[3], pad[1]] : pad;
}

export function makeConv2DConfig(original: tf.KernelConfig): tf.KernelConfig {
  const nhwc = original.kernelFunc as unknown as (args: Args) => tf.TensorInfo;
  const conv2D = (args: Args): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    if (attrs.dataFormat !== 'NCHW') return nhwc(args);
    const x = toNHWC(backend, inputs.x!);
    const y = nhwc({ inputs: { x, filter: inputs.filter! }, backend,
      attrs: { ...attrs, dataFormat: 'NHWC', pad: nhwcPad(attrs.pad) as tf.NamedAttrMap[string] } });
    backend.disposeData(x.dataId);
    const out = toNCHW(backend, y);
    backend.disposeData(y.dataId);
    return out;
  };
  return { ...original, kernelFunc: conv2D as unknown as tf.KernelFunc };
}
