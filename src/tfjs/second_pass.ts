// The second forward/backward pass runs the user's loss function again at w + ε, for
// its gradient only. Two side effects of running it must be undone:
//  - BatchNormalization (tfjs-layers) assigns new moving statistics in every training
//    pass. The reference freezes them in the second pass. Non-trainable variables are
//    held (a clone shares their data: no copy) and re-assigned if the pass replaced them.
//  - tfjs-layers' fit keeps (tf.keep) one metric tensor per metric per call of its loss
//    function, and reads only the first call's. Kept tensors escape every scope, so what
//    the pass kept is released after it.
import { tf } from '../tf';
import { keptDuring, liveVariables } from './wasm_bridge';

export function secondPass(f: () => tf.Scalar, varList: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const held = liveVariables().filter((v) => !v.trainable).map((v) => ({ v, dataId: v.dataId, data: tf.clone(v) }));
  let kept: tf.Tensor[] = [];
  try {
    const pass = keptDuring(() => tf.variableGrads(f, varList));
    kept = pass.kept;
    return pass.result;
  } finally {
    for (const t of kept) if (!t.isDisposed) t.dispose();
    for (const { v, dataId, data } of held) {
      if (!v.isDisposed && v.dataId !== dataId) v.assign(data);
      data.dispose();
    }
  }
}
