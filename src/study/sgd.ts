// The SGD baseline on the same base as SAM and F-SAM: PyTorch's SGD semantics (the
// reference's), p = g + wd·w; b = p on the first step, else b = μ·b + p; w = w − lr·b.
// tfjs's own tf.train.momentum has no weight decay, and an L2 term in the loss would
// reach SAM's perturbation too (it changes g, hence ε), so the baseline is this small
// optimizer instead. Its state is one momentum variable per weight, named as tfjs names
// its slots.
import { tf } from '../tf';

type NamedTensor = { name: string; tensor: tf.Tensor };

export class StudySGD extends tf.Optimizer {
  static className = 'StudySGD';
  learningRate: number;
  readonly momentum: number;
  readonly weightDecay: number;
  private readonly buffers = new Map<string, tf.Variable>();

  constructor(o: { learningRate: number; momentum: number; weightDecay: number }) {
    super();
    if (!(o.learningRate > 0)) throw new RangeError(`learningRate must be > 0, got ${o.learningRate}`);
    if (!(o.momentum >= 0 && o.momentum < 1)) throw new RangeError(`momentum must be in [0, 1), got ${o.momentum}`);
    if (!(o.weightDecay >= 0)) throw new RangeError(`weightDecay must be >= 0, got ${o.weightDecay}`);
    this.learningRate = o.learningRate;
    this.momentum = o.momentum;
    this.weightDecay = o.weightDecay;
  }

  override applyGradients(grads: tf.NamedTensorMap | NamedTensor[]): void {
    const list = Array.isArray(grads) ? grads : Object.keys(grads).map((name) => ({ name, tensor: grads[name] }));
    for (const { name, tensor: g } of list) {
      if (g == null) continue;
      const w = tf.engine().registeredVariables[name];
      tf.tidy(() => {
        const p = this.weightDecay > 0 ? tf.add(g, tf.mul(w, this.weightDecay)) : g;
        let b = this.buffers.get(name);
        if (!b) {
          b = tf.variable(p, false, `${name}/momentum`);
          this.buffers.set(name, b);
        } else {
          b.assign(tf.add(tf.mul(b, this.momentum), p));
        }
        w.assign(tf.sub(w, tf.mul(b, this.learningRate)));
      });
    }
    this.incrementIterations();
  }

  override dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
    super.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, momentum: this.momentum, weightDecay: this.weightDecay };
  }
}
