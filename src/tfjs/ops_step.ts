// The step in tfjs ops, for every backend but 'wasm' (cpu, webgl, webgpu): the sequence of
// src/core/sharpness_step.ts phase by phase, on the variables where they live, with the
// same semantics, the same refusals (a non-finite gradient is NonFiniteGradientError,
// naming the variable, index and value, or a counted skip; a non-finite perturbation
// NonFinitePerturbationError; either leaves weights and state as they were; a layout over
// maxBytes is ArenaBudgetError) and the same state: the arena's layout and slab kinds,
// each slab a tf.Variable per variable, saved under the same names, so a state moves
// between backends (./optimizer_state.ts reads and writes both kinds of step).
//
//   perturb(w, g):     d = g (first step, a SAM step), else g − σ·m with the OLD m
//                      ε = ρ·d / (‖d‖₂ + 1e-12)   ASAM: ρ·w²⊙d / (‖|w|⊙d‖₂ + 1e-12)
//                      w_old = w (shares w's data: assign never writes in place);  w = w + ε
//   update(w, g, g₂):  w = w_old;  m = g (first), else λ·m + (1−λ)·g;  base step with g₂
//   apply(w, g):       the base step alone (sharpness 'none')
//
// Each phase runs inside tf.tidy and every state tensor is a variable made once, so a step
// leaves no tensor behind. Per step one number is read back for ‖d‖², and one for whether
// g₂ is finite. The low-memory mode (bf16 state, no w_old) is the arena's: 'wasm' only.
import { tf } from '../tf';
import type { ArenaLayout, SlabKind } from '../core/arena';
import type { Hyperparams } from '../core/hyperparams';
import { ArenaBudgetError, NonFiniteGradientError, NonFinitePerturbationError } from '../core/errors';

export type Weights = readonly tf.Variable[];
export type Gradients = readonly tf.Tensor[];

/** The state slabs of an arena layout as tf.Variables, one [size] float32 per variable and kind. */
export class TensorSlabs {
  readonly layout: ArenaLayout;
  private readonly slabs = new Map<SlabKind, tf.Variable[]>();

  constructor(layout: ArenaLayout, maxBytes: number) {
    if (layout.totalBytes > maxBytes) throw new ArenaBudgetError(layout.totalBytes, maxBytes);
    this.layout = layout;
    for (const kind of layout.kinds) {
      this.slabs.set(kind, layout.variables.map((v) => tf.tidy(() => tf.variable(tf.zeros([v.size]), false))));
    }
  }

  slab(kind: SlabKind): tf.Variable[] {
    const s = this.slabs.get(kind);
    if (!s) throw new Error(`this state keeps no '${kind}'`);
    return s;
  }

  /** The floats of variable i's slab of `kind` (a copy). */
  readFloats(kind: SlabKind, i: number): Float32Array {
    return this.slab(kind)[i].dataSync().slice() as Float32Array;
  }

  writeFloats(kind: SlabKind, i: number, values: Float32Array): void {
    const v = this.slab(kind)[i];
    if (values.length !== v.size) throw new RangeError(`'${kind}' of '${this.layout.variables[i].name}' takes ${v.size} values, got ${values.length}`);
    tf.tidy(() => v.assign(tf.tensor1d(values)));
  }

  release(): void {
    for (const vars of this.slabs.values()) for (const v of vars) v.dispose();
    this.slabs.clear();
  }
}

export class OpsStep {
  readonly hyper: Hyperparams;
  readonly arena: TensorSlabs;
  /** Completed steps; the base optimizer's step count t. */
  t = 0;
  /** Whether m holds an estimate yet (false until the first F-SAM step completes). */
  emaReady = false;
  /** Steps skipped for non-finite gradients (onNonFinite: 'skip'). */
  skipped = 0;
  /** True between perturb() and update(): the weights are at w + ε. */
  perturbed = false;

  constructor(hyper: Hyperparams, layout: ArenaLayout, maxBytes: number) {
    if (hyper.lowMemory) throw new RangeError(`lowMemory keeps bf16 state in the wasm arena: it runs on the 'wasm' backend only, the active backend is '${tf.getBackend()}'`);
    this.hyper = hyper;
    this.arena = new TensorSlabs(layout, maxBytes);
  }

  /** Climb to w + ε. Returns false if the step was skipped for a non-finite g. */
  perturb(w: Weights, g: Gradients): boolean {
    if (this.hyper.sharpness === 'none') throw new Error("perturb() is for SAM and F-SAM; with sharpness 'none' call apply()");
    if (this.perturbed) throw new Error('perturb() called twice without update() or restore()');
    const { sigma, adaptive, rho } = this.hyper;
    const m = this.hyper.sharpness === 'fsam' && this.emaReady ? this.arena.slab('ema') : undefined;
    const d = (i: number) => (m ? tf.sub(flat(g[i]), tf.mul(m[i], sigma)) : flat(g[i]));
    const sumsq = tf.tidy(() => tf.addN(w.map((wi, i) => tf.sum(tf.square(adaptive ? tf.mul(tf.abs(flat(wi)), d(i)) : d(i))))).dataSync()[0]);
    if (!Number.isFinite(sumsq)) return this.refuse(1, g, () => { throw new NonFinitePerturbationError(sumsq); });
    const scale = rho / (Math.sqrt(sumsq) + 1e-12);
    const wold = this.arena.slab('wold');
    w.forEach((wi, i) => tf.tidy(() => {
      const di = d(i), eps = tf.mul(adaptive ? tf.mul(tf.square(flat(wi)), di) : di, scale);
      wold[i].assign(flat(wi));
      wi.assign(tf.reshape(tf.add(flat(wi), eps), wi.shape));
    }));
    this.perturbed = true;
    return true;
  }

  /** Back to w_old, the step abandoned (the second pass failed). */
  restore(w: Weights): void {
    if (!this.perturbed) return;
    this.perturbed = false;
    const wold = this.arena.slab('wold');
    w.forEach((wi, i) => tf.tidy(() => wi.assign(tf.reshape(wold[i], wi.shape))));
  }

  /** Restore w_old, update m, and take the base step with g₂. False if skipped. */
  update(w: Weights, g: Gradients, g2: Gradients): boolean {
    if (!this.perturbed) throw new Error('update() needs perturb() first');
    if (!allFinite(g2)) {
      this.restore(w);
      return this.refuse(2, g2);
    }
    if (this.hyper.sharpness === 'fsam') {
      const { lambda } = this.hyper, m = this.arena.slab('ema');
      m.forEach((mi, i) => tf.tidy(() => mi.assign(this.emaReady ? tf.add(tf.mul(mi, lambda), tf.mul(flat(g[i]), 1 - lambda)) : flat(g[i]))));
      this.emaReady = true;
    }
    this.perturbed = false;
    this.baseStep(w, this.arena.slab('wold'), g2);
    return true;
  }

  /** The base optimizer alone (sharpness 'none'). False if skipped. */
  apply(w: Weights, g: Gradients): boolean {
    if (!allFinite(g)) return this.refuse(1, g);
    this.baseStep(w, w, g);
    return true;
  }

  /** SGD (PyTorch's: p = g + wd·w; b = p, then μ·b + p; nesterov p + μ·b) or AdamW, from `from` into w. */
  private baseStep(w: Weights, from: Weights, g: Gradients): void {
    const h = this.hyper, t = this.t + 1;
    w.forEach((wi, i) => tf.tidy(() => {
      const w0 = flat(from[i]), gi = flat(g[i]);
      let next: tf.Tensor;
      if (h.base === 'sgd') {
        let p: tf.Tensor = h.weightDecay === 0 ? gi : tf.add(gi, tf.mul(w0, h.weightDecay));
        if (h.momentum > 0) {
          const b = this.arena.slab('momentum')[i];
          b.assign(t === 1 ? p : tf.add(tf.mul(b, h.momentum), p));
          p = h.nesterov ? tf.add(p, tf.mul(b, h.momentum)) : b;
        }
        next = tf.sub(w0, tf.mul(p, h.learningRate));
      } else {
        const m1 = this.arena.slab('adam_m')[i], v = this.arena.slab('adam_v')[i];
        m1.assign(tf.add(tf.mul(m1, h.beta1), tf.mul(gi, 1 - h.beta1)));
        v.assign(tf.add(tf.mul(v, h.beta2), tf.mul(tf.square(gi), 1 - h.beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - h.beta2 ** t)), h.epsilon);
        next = tf.sub(tf.mul(w0, 1 - h.learningRate * h.weightDecay), tf.mul(tf.div(m1, denom), h.learningRate / (1 - h.beta1 ** t)));
      }
      wi.assign(tf.reshape(next, wi.shape));
    }));
    this.t = t;
  }

  /** A non-finite gradient: throw, or count a skipped step. State is unchanged either way. */
  private refuse(pass: 1 | 2, g: Gradients, otherwise?: () => never): false {
    if (this.hyper.onNonFinite === 'skip') {
      this.skipped++;
      return false;
    }
    for (let i = 0; i < g.length; i++) {
      const values = g[i].dataSync();
      const j = values.findIndex((x) => !Number.isFinite(x));
      if (j >= 0) throw new NonFiniteGradientError(pass, this.arena.layout.variables[i].name, j, values[j]);
    }
    return otherwise!();
  }
}

const flat = (t: tf.Tensor): tf.Tensor1D => tf.reshape(t, [t.size]);

/** Whether every value of every tensor is finite: one number read back (Σ x·0 is NaN otherwise). */
function allFinite(ts: Gradients): boolean {
  return Number.isFinite(tf.tidy(() => tf.addN(ts.map((t) => tf.sum(tf.mul(t, 0)))).dataSync()[0]));
}
