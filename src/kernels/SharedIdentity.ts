// Identity, and Cast to the dtype a tensor already has, for 'wasm' without a copy: the
// output shares the input's data (refcounted), as tfjs-backend-cpu's Identity and
// tfjs-wasm's own Reshape do. tfjs-wasm 4.22 copies instead, and tfjs-core clones every
// tensor it saves for the backward pass, so a training step copied each activation once
// more (bench/step_profile.mjs, the study's CNN at batch 128: 31 Identity and 9 Cast
// copies, 1.1 of 12.2 ms per SGD step). Nothing in tfjs writes into a tensor's data in place; fsam-edge's
// optimizers do, and copy a variable's data first whenever it is shared
// (src/tfjs/wasm_bridge.ts, writableOffset), so a clone keeps its values.
// A numeric Cast to 'bool' is x ≠ 0 here (NaN → true, as on tfjs-backend-cpu): tfjs-wasm
// 4.22 copies the values instead (cast([0, 3], 'bool') gave [0, 3]; tfjs-core's own
// tensor tests fail there). Strings, and every other cast, go to the original kernels.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };
type Info = tf.TensorInfo;

function share(x: Info, backend: BackendWasm): Info {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export function makeIdentityConfig(original: tf.KernelConfig): tf.KernelConfig {
  const copy = original.kernelFunc as unknown as (args: Args) => Info;
  const identity = (args: Args): Info => {
    const { x } = args.inputs;
    return x && x.dtype !== 'string' ? share(x, args.backend) : copy(args);
  };
  return { ...original, kernelFunc: identity as unknown as tf.KernelFunc };
}

function toBool(x: Info, backend: BackendWasm): Info {
  const out = backend.makeOutput(x.shape, 'bool');
  const from = backend.typedArrayFromHeap(x), to = backend.typedArrayFromHeap(out);
  for (let i = 0; i < from.length; i++) to[i] = from[i] !== 0 ? 1 : 0;
  return out;
}

export function makeCastConfig(original: tf.KernelConfig): tf.KernelConfig {
  const convert = original.kernelFunc as unknown as (args: Args) => Info;
  const cast = (args: Args): Info => {
    const { x } = args.inputs, { dtype } = args.attrs;
    if (!x || x.dtype === 'string' || x.dtype === 'complex64') return convert(args);
    if (x.dtype === dtype) return share(x, args.backend);
    if (dtype === 'bool') return toBool(x, args.backend);
    return convert(args);
  };
  return { ...original, kernelFunc: cast as unknown as tf.KernelFunc };
}
