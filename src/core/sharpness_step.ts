// One step of F-SAM (Li et al., CVPR 2024; official code nblt/F-SAM, class FriendlySAM),
// of SAM, or of the base optimizer alone, sequenced over the arena's slabs and the
// caller's weight and gradient pointers:
//
//   perturb(w, g):     g = ∇L_B(w) is given
//                      d = g                      on the first step (a SAM step)
//                      d = g − σ·m                afterwards, with the OLD m
//                      ε = ρ·d / (‖d‖₂ + 1e-12)   ASAM: ε = ρ·w²⊙d / (‖|w|⊙d‖₂ + 1e-12)
//                      w_old = w;  w = w + ε
//   update(w, g, g₂):  g₂ = ∇L_B(w + ε) is given
//                      w = w_old                  a copy, not w − ε
//                      m = g (first step), else m = λ·m + (1−λ)·g
//                      the base optimizer steps from w with g₂
//   apply(w, g):       the base optimizer alone (sharpness 'none'): one gradient, one step
//
// SAM is the same without m. The paper writes d = g − σ·m_t with the updated m; with
// σ = 1 that is the same direction, with σ ≠ 1 it is not: this follows the code.
// m is updated in update(), not in perturb(), so a non-finite g₂ can still leave every
// byte of state as it was: the weights go back to w_old and nothing else has changed.
//
// The low-memory mode (no w_old, bf16 m and momentum) is the subclass in
// low_memory_step.ts; create_step.ts picks the class for a configuration.
import type { Arena } from './arena';
import type { Hyperparams } from './hyperparams';
import type { OptimizerKernels } from './kernels';
import { NonFiniteGradientError, NonFinitePerturbationError } from './errors';

/** Byte pointers of each variable's weights or gradients, in layout order. */
export type Pointers = ArrayLike<number>;

export class SharpnessStep {
  readonly hyper: Hyperparams;
  readonly arena: Arena;
  readonly kernels: OptimizerKernels;
  protected readonly sizes: number[];
  protected readonly names: string[];
  /** Completed steps: the base optimizer's step count t. */
  t = 0;
  /** Whether m holds an estimate yet (false until the first F-SAM step completes). */
  emaReady = false;
  /** Steps skipped for non-finite gradients (onNonFinite: 'skip'). */
  skipped = 0;
  /** True between perturb() and update(): the weights are at w + ε. */
  perturbed = false;

  constructor(hyper: Hyperparams, arena: Arena, kernels: OptimizerKernels) {
    if (hyper.lowMemory !== this.lowMemory) throw new TypeError(`this step class is for lowMemory ${this.lowMemory}, got lowMemory ${hyper.lowMemory}: use createStep()`);
    this.hyper = hyper;
    this.arena = arena;
    this.kernels = kernels;
    this.sizes = arena.layout.variables.map((v) => v.size);
    this.names = arena.layout.variables.map((v) => v.name);
  }

  /** Whether this step keeps bf16 state and no w_old (LowMemorySharpnessStep). */
  protected get lowMemory(): boolean { return false; }

  /** Climb to w + ε. Returns false if the step was skipped for a non-finite g. */
  perturb(w: Pointers, g: Pointers): boolean {
    if (this.hyper.sharpness === 'none') throw new Error("perturb() is for SAM and F-SAM; with sharpness 'none' call apply()");
    if (this.perturbed) throw new Error('perturb() called twice without update() or restore()');
    const friendly = this.hyper.sharpness === 'fsam' && this.emaReady;
    let sumsq = 0;
    for (let i = 0; i < this.sizes.length; i++) sumsq += this.sumsq(i, w[i], g[i], friendly);
    if (!Number.isFinite(sumsq)) return this.refuse(1, g, () => { throw new NonFinitePerturbationError(sumsq); });
    this.climb(w, g, friendly, this.hyper.rho / (Math.sqrt(sumsq) + 1e-12));
    this.perturbed = true;
    return true;
  }

  /** Σd² of variable i: d = g − σ·m (friendly), else g; ASAM scales by |w|. */
  protected sumsq(i: number, w: number, g: number, friendly: boolean): number {
    const { sigma, adaptive } = this.hyper;
    return friendly ? this.kernels.f32_fsam_sumsq(g, this.arena.pointer('ema', i), w, this.sizes[i], sigma, adaptive)
      : this.kernels.f32_sam_sumsq(g, w, this.sizes[i], adaptive);
  }

  /** w_old = w; w += ε with ε = scale·d. */
  protected climb(w: Pointers, g: Pointers, friendly: boolean, scale: number): void {
    const { sigma, adaptive } = this.hyper, arena = this.arena, kernels = this.kernels;
    for (let i = 0; i < this.sizes.length; i++) {
      if (friendly) kernels.f32_fsam_perturb(w[i], arena.pointer('wold', i), g[i], arena.pointer('ema', i), this.sizes[i], sigma, scale, adaptive);
      else kernels.f32_sam_perturb(w[i], arena.pointer('wold', i), g[i], this.sizes[i], scale, adaptive);
    }
  }

  /** Back to w_old, the step abandoned (the second pass failed). */
  restore(w: Pointers): void {
    if (!this.perturbed) return;
    this.perturbed = false;
    this.descend(w);
  }

  /** From w + ε back to w: here an exact copy of w_old. */
  protected descend(w: Pointers): void {
    for (let i = 0; i < this.sizes.length; i++) this.kernels.f32_copy(w[i], this.arena.pointer('wold', i), this.sizes[i]);
  }

  /** Restore w_old, update m, and take the base step with g₂. False if skipped. */
  update(w: Pointers, g: Pointers, g2: Pointers): boolean {
    if (!this.perturbed) throw new Error('update() needs perturb() first');
    if (this.firstNonFinite(g2)) {
      this.restore(w);
      return this.refuse(2, g2);
    }
    this.settle(w, g, g2);
    this.perturbed = false;
    return true;
  }

  /** After a finite g₂: m from g, then the base step from w_old. */
  protected settle(w: Pointers, g: Pointers, g2: Pointers): void {
    this.updateEma(g);
    this.baseStep(w, (i) => this.arena.pointer('wold', i), g2);
  }

  /** F-SAM: m = g on its first step, else m = λ·m + (1−λ)·g. */
  protected updateEma(g: Pointers): void {
    if (this.hyper.sharpness !== 'fsam') return;
    for (let i = 0; i < this.sizes.length; i++) this.ema(i, g[i], this.hyper.lambda);
    this.emaReady = true;
  }

  /** m of variable i from g; m is f32 here. */
  protected ema(i: number, g: number, lambda: number): void {
    const m = this.arena.pointer('ema', i);
    if (this.emaReady) this.kernels.f32_fsam_ema(m, g, this.sizes[i], lambda, 1 - lambda);
    else this.kernels.f32_copy(m, g, this.sizes[i]);
  }

  /** The base optimizer alone (sharpness 'none'). False if skipped. */
  apply(w: Pointers, g: Pointers): boolean {
    if (this.firstNonFinite(g)) return this.refuse(1, g);
    this.baseStep(w, (i) => w[i], g);
    return true;
  }

  /** Step t of SGD or AdamW, from `from(i)` (w_old, or w itself) into w. */
  protected baseStep(w: Pointers, from: (i: number) => number, g: Pointers): void {
    const hyper = this.hyper, kernels = this.kernels, arena = this.arena;
    const t = this.t + 1;
    if (hyper.base === 'sgd') {
      const mode = hyper.momentum === 0 ? kernels.SGD_PLAIN : hyper.nesterov ? kernels.SGD_NESTEROV : kernels.SGD_MOMENTUM;
      for (let i = 0; i < this.sizes.length; i++) this.sgd(i, w[i], from(i), g[i], mode, t === 1);
    } else {
      // The scalars in float64, as PyTorch folds them: decay = 1 − lr·wd, lr/(1−β₁ᵗ), √(1−β₂ᵗ).
      const decay = 1 - hyper.learningRate * hyper.weightDecay;
      const stepSize = hyper.learningRate / (1 - hyper.beta1 ** t);
      const bc2sqrt = Math.sqrt(1 - hyper.beta2 ** t);
      for (let i = 0; i < this.sizes.length; i++) {
        kernels.f32_adamw_update(w[i], from(i), g[i], arena.pointer('adam_m', i), arena.pointer('adam_v', i), this.sizes[i],
          decay, hyper.beta1, 1 - hyper.beta1, hyper.beta2, 1 - hyper.beta2, hyper.epsilon, stepSize, bc2sqrt);
      }
    }
    this.t = t;
  }

  /** SGD on variable i from `from` (w_old, or w itself) into w; b is f32 here. */
  protected sgd(i: number, w: number, from: number, g: number, mode: number, first: boolean): void {
    const hyper = this.hyper;
    const b = mode === this.kernels.SGD_PLAIN ? 0 : this.arena.pointer('momentum', i);
    this.kernels.f32_sgd_update(w, from, g, b, this.sizes[i], hyper.learningRate, hyper.weightDecay, hyper.momentum, mode, first);
  }

  protected firstNonFinite(g: Pointers): { i: number; j: number } | undefined {
    for (let i = 0; i < this.sizes.length; i++) {
      const j = this.kernels.f32_first_nonfinite(g[i], this.sizes[i]);
      if (j >= 0) return { i, j };
    }
    return undefined;
  }

  /** A non-finite gradient: throw, or count a skipped step. State is unchanged either way. */
  protected refuse(pass: 1 | 2, g: Pointers, otherwise?: () => never): false {
    if (this.hyper.onNonFinite === 'skip') {
      this.skipped++;
      return false;
    }
    const bad = this.firstNonFinite(g);
    if (!bad) otherwise!();
    const value = new Float32Array(this.arena.memory.buffer, g[bad!.i] + bad!.j * 4, 1)[0];
    throw new NonFiniteGradientError(pass, this.names[bad!.i], bad!.j, value);
  }
}
