// The AdamW baseline, with the design's (PyTorch's) update, in tfjs ops:
//   w ← w·(1 − lr·wd);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
//   w ← w − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε)
// tfjs's own Adam keeps β₁ᵗ and β₂ᵗ as running products and recomputes them with pow()
// in setWeights, so a resumed run drifts from an uninterrupted one in the last bits;
// here both come from the step count t alone, so resuming is exact.
import { tf } from '../index';
import type { NamedTensor, TrainingOptimizer } from './optimizers';

export interface AdamWSettings { learningRate: number; beta1: number; beta2: number; epsilon: number; weightDecay: number }

export function adamw(h: AdamWSettings): TrainingOptimizer {
  let t = 0;
  let state: { name: string; m: tf.Variable; v: tf.Variable }[] = [];
  let pending: Map<string, tf.Tensor> | undefined;
  const slots = (vars: tf.Variable[]) => {
    if (state.length === vars.length && state.every((s, i) => s.name === vars[i].name)) return state;
    if (state.length > 0) throw new Error('the AdamW baseline updates one fixed list of variables');
    state = vars.map((w) => {
      const saved = (kind: string) => pending?.get(`${w.name}/${kind}`);
      const m = saved('adam_m'), v = saved('adam_v');
      if (pending && (!m || !v)) throw new RangeError(`optimizer state has no moments for variable '${w.name}'`);
      return { name: w.name, m: tf.variable(m ?? tf.zerosLike(w), false), v: tf.variable(v ?? tf.zerosLike(w), false) };
    });
    if (pending) tf.dispose([...pending.values()]);
    pending = undefined;
    return state;
  };
  return {
    step(f, vars) {
      const s = slots(vars);
      return tf.tidy(() => {
        const { value, grads } = tf.variableGrads(f, vars);
        t += 1;
        const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd } = h;
        const c1 = lr / (1 - b1 ** t), c2 = Math.sqrt(1 - b2 ** t);
        vars.forEach((w, i) => {
          const g = grads[w.name];
          const decayed = wd > 0 ? tf.mul(w, 1 - lr * wd) : w;
          const m = tf.add(tf.mul(s[i].m, b1), tf.mul(g, 1 - b1));
          const v = tf.add(tf.mul(s[i].v, b2), tf.mul(tf.square(g), 1 - b2));
          s[i].m.assign(m);
          s[i].v.assign(v);
          w.assign(tf.sub(decayed, tf.div(tf.mul(m, c1), tf.add(tf.div(tf.sqrt(v), c2), eps))));
        });
        return value.dataSync()[0];
      });
    },
    async getWeights(): Promise<NamedTensor[]> {
      return [
        { name: 'iter', tensor: tf.scalar(t, 'int32') },
        ...state.flatMap((s) => [{ name: `${s.name}/adam_m`, tensor: s.m.clone() }, { name: `${s.name}/adam_v`, tensor: s.v.clone() }]),
      ];
    },
    async setWeights(weights) {
      const [iter, ...rest] = weights;
      if (!iter || iter.name !== 'iter') throw new RangeError("AdamW state starts with its step count 'iter'");
      t = (await iter.tensor.data())[0];
      if (state.length > 0) throw new Error('setWeights on the AdamW baseline comes before its first step');
      pending = new Map(rest.map((w) => [w.name, w.tensor.clone()])); // the caller may dispose its tensors
    },
    memory: () => null,
    dispose() {
      tf.dispose(state.flatMap((s) => [s.m, s.v]));
      state = [];
    },
  };
}
