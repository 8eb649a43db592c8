// The second forward/backward pass runs the user's loss function again at w + ε, for
// its gradient only. Two side effects of running it must be undone:
//  - BatchNormalization (tfjs-layers) assigns new moving statistics in every training
//    pass. The reference freezes them in the second pass. Non-trainable variables are
//    held (a clone shares their data: no copy) and re-assigned if the pass replaced them.
//  - tfjs-layers' fit keeps (tf.keep) one metric tensor per metric per call of its loss
//    function, and reads only the first call's. Kept tensors escape every scope, so the
//    engine's keep is watched during the pass and what it kept is released after.
import { tf } from '../tf';

export function secondPass(f: () => tf.Scalar, varList: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const engine = tf.engine();
  const held = Object.values(engine.registeredVariables)
    .filter((v) => !v.trainable && !v.isDisposed)
    .map((v) => ({ v, dataId: v.dataId, data: tf.clone(v) }));
  const kept: tf.Tensor[] = [];
  const keep = engine.keep;
  engine.keep = <T extends tf.Tensor>(t: T): T => { kept.push(t); return keep.call(engine, t) as T; };
  try {
    return tf.variableGrads(f, varList);
  } finally {
    engine.keep = keep;
    for (const t of kept) if (!t.isDisposed) t.dispose();
    for (const { v, dataId, data } of held) {
      if (!v.isDisposed && v.dataId !== dataId) v.assign(data);
      data.dispose();
    }
  }
}
