// The F-SAM step in tfjs ops, for every backend but 'wasm' (cpu, webgl, webgpu): the
// sequence of the arena step (src/core/fsam_step.ts) phase by phase, on the variables
// where they live, with its state in tf.Variables named as the arena's slabs are saved
// (`${variable}/ema`, `/momentum`, `/adam_m`, `/adam_v`), so the same getWeights() state
// moves between backends. The same refusals: a non-finite gradient (NonFiniteGradientError,
// naming the variable, index and value) or perturbation (NonFinitePerturbationError)
// leaves weights and state as they were; a layout over maxBytes is ArenaBudgetError.
//
//   perturb(w, g):     d = g (first step, SAM), else g − σ·m with the OLD m
//                      ε = ρ·d / (‖d‖₂ + 1e-12)   ASAM: ρ·w²⊙d / (‖|w|⊙d‖₂ + 1e-12)
//                      w_old = w (shares w's data: assign never writes in place); w = w + ε
//   update(w, g, g₂):  w = w_old; m = g (first), else λ·m + (1−λ)·g; base step with g₂
//
// Each phase runs inside tf.tidy, and every state tensor is a variable created once, so a
// step leaves no tensor behind. One value per phase is read back: ‖d‖² for ε, and
// whether g₂ is finite.
import { tf } from '../tf';
import { ArenaLayout, type SlabKind } from '../core/arena';
import type { Hyperparams } from '../core/hyperparams';
import { ArenaBudgetError, NonFiniteGradientError, NonFinitePerturbationError } from '../core/errors';

type Vars = readonly tf.Variable[];
type Grads = readonly tf.Tensor[];

export class OpsStep {
  readonly h: Hyperparams;
  readonly layout: ArenaLayout;
  /** Completed steps; the base optimizer's step count t. */
  step = 0;
  /** Whether m holds an estimate yet. */
  emaReady = false;
  /** Steps skipped for non-finite gradients (onNonFinite: 'skip'). */
  skipped = 0;
  perturbed = false;
  private readonly state = new Map<SlabKind, tf.Variable[]>();

  constructor(h: Hyperparams, layout: ArenaLayout, maxBytes: number) {
    if (h.lowMemory) throw new RangeError("lowMemory keeps bf16 state in the wasm arena: it runs on the 'wasm' backend only");
    if (layout.totalBytes > maxBytes) throw new ArenaBudgetError(layout.totalBytes, maxBytes);
    this.h = h;
    this.layout = layout;
    for (const kind of layout.kinds) {
      this.state.set(kind, layout.variables.map((v) => tf.tidy(() => tf.variable(tf.zeros([v.size]), false))));
    }
  }

  private slab(kind: SlabKind): tf.Variable[] {
    const s = this.state.get(kind);
    if (!s) throw new Error(`this configuration keeps no '${kind}' state`);
    return s;
  }

  /** Climb to w + ε. Returns false if the step was skipped for a non-finite g. */
  perturb(w: Vars, g: Grads): boolean {
    if (this.perturbed) throw new Error('perturb() called twice without update() or restore()');
    const { sigma, adaptive, rho } = this.h;
    const friendly = this.h.sharpness === 'fsam' && this.emaReady;
    const m = friendly ? this.slab('ema') : undefined;
    const d = (i: number) => (m ? tf.sub(flat(g[i]), tf.mul(m[i], sigma)) : flat(g[i]));
    const sumsq = tf.tidy(() => tf.addN(w.map((wi, i) => tf.sum(tf.square(adaptive ? tf.mul(tf.abs(flat(wi)), d(i)) : d(i))))).dataSync()[0]);
    if (!Number.isFinite(sumsq)) return this.refuse(1, g, () => { throw new NonFinitePerturbationError(sumsq); });
    const scale = rho / (Math.sqrt(sumsq) + 1e-12);
    const wold = this.slab('wold');
    w.forEach((wi, i) => tf.tidy(() => {
      const di = d(i);
      wold[i].assign(flat(wi));
      wi.assign(tf.reshape(tf.add(flat(wi), tf.mul(adaptive ? tf.mul(tf.square(flat(wi)), di) : di, scale)), wi.shape));
    }));
    this.perturbed = true;
    return true;
  }

  /** Back to w_old, the step abandoned (the second pass failed). */
  restore(w: Vars): void {
    if (!this.perturbed) return;
    this.perturbed = false;
    const wold = this.slab('wold');
    w.forEach((wi, i) => tf.tidy(() => wi.assign(tf.reshape(wold[i], wi.shape))));
  }

  /** Restore w_old, update m, and take the base step with g₂. False if skipped. */
  update(w: Vars, g: Grads, g2: Grads): boolean {
    if (!this.perturbed) throw new Error('update() needs perturb() first');
    if (!allFinite(g2)) {
      this.restore(w);
      return this.refuse(2, g2);
    }
    if (this.h.sharpness === 'fsam') {
      const { lambda } = this.h, m = this.slab('ema');
      m.forEach((mi, i) => tf.tidy(() => mi.assign(this.emaReady ? tf.add(tf.mul(mi, lambda), tf.mul(flat(g[i]), 1 - lambda)) : flat(g[i]))));
      this.emaReady = true;
    }
    this.perturbed = false;
    this.baseStep(w, this.slab('wold'), g2);
    return true;
  }

  /** The base optimizer alone (sharpness 'none'). False if skipped. */
  apply(w: Vars, g: Grads): boolean {
    if (!allFinite(g)) return this.refuse(1, g);
    this.baseStep(w, w, g);
    return true;
  }

  /** SGD (PyTorch's: p = g + wd·w; b = p, then μ·b + p; nesterov p + μ·b) or AdamW, from `from` into w. */
  private baseStep(w: Vars, from: Vars, g: Grads): void {
    const h = this.h, t = this.step + 1;
    w.forEach((wi, i) => tf.tidy(() => {
      const w0 = flat(from[i]), gi = flat(g[i]);
      let next: tf.Tensor;
      if (h.base === 'sgd') {
        let p = h.weightDecay === 0 ? gi : tf.add(gi, tf.mul(w0, h.weightDecay));
        if (h.momentum > 0) {
          const b = this.slab('momentum')[i];
          b.assign(t === 1 ? p : tf.add(tf.mul(b, h.momentum), p));
          p = h.nesterov ? tf.add(p, tf.mul(b, h.momentum)) : b;
        }
        next = tf.sub(w0, tf.mul(p, h.learningRate));
      } else {
        const m1 = this.slab('adam_m')[i], v = this.slab('adam_v')[i];
        m1.assign(tf.add(tf.mul(m1, h.beta1), tf.mul(gi, 1 - h.beta1)));
        v.assign(tf.add(tf.mul(v, h.beta2), tf.mul(tf.square(gi), 1 - h.beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - h.beta2 ** t)), h.epsilon);
        next = tf.sub(tf.mul(w0, 1 - h.learningRate * h.weightDecay), tf.mul(tf.div(m1, denom), h.learningRate / (1 - h.beta1 ** t)));
      }
      wi.assign(tf.reshape(next, wi.shape));
    }));
    this.step = t;
  }

  /** A non-finite gradient: throw, or count a skipped step. State is unchanged either way. */
  private refuse(pass: 1 | 2, g: Grads, otherwise?: () => never): false {
    if (this.h.onNonFinite === 'skip') {
      this.skipped++;
      return false;
    }
    for (let i = 0; i < g.length; i++) {
      const values = g[i].dataSync();
      const j = values.findIndex((x) => !Number.isFinite(x));
      if (j >= 0) throw new NonFiniteGradientError(pass, this.layout.variables[i].name, j, values[j]);
    }
    return otherwise!();
  }

  /** The floats of variable i's state of `kind` (a copy). */
  readFloats(kind: SlabKind, i: number): Float32Array {
    return this.slab(kind)[i].dataSync().slice() as Float32Array;
  }

  writeFloats(kind: SlabKind, i: number, values: Float32Array): void {
    tf.tidy(() => this.slab(kind)[i].assign(tf.tensor1d(values)));
  }

  dispose(): void {
    for (const vars of this.state.values()) for (const v of vars) v.dispose();
    this.state.clear();
  }
}

const flat = (t: tf.Tensor): tf.Tensor1D => tf.reshape(t, [t.size]);

/** Whether every value of every tensor is finite: one number read back (Σ x·0 is NaN otherwise). */
function allFinite(ts: Grads): boolean {
  return Number.isFinite(tf.tidy(() => tf.addN(ts.map((t) => tf.sum(tf.mul(t, 0)))).dataSync()[0]));
}
