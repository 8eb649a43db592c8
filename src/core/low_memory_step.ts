// The step in low-memory mode (hyper.lowMemory): no w_old, and m and the momentum
// buffer in bf16 (2 bytes each). F-SAM + SGD momentum keeps 4 bytes per parameter.
//
//   perturb:  Σd² and w += ε in place, d from the bf16 m; g, the scale and whether m
//             was used are remembered to take ε off again
//   restore:  w = (w + ε) − ε with ε recomputed from the same g, the same m (still the
//             OLD m: it is updated only after the restore) and the same scale, so ε has
//             the same bits; w + ε and − ε each round once, so w comes back within
//             2⁻²⁴·(|w + ε| + |w|), not exactly
//   update:   restore, then m (bf16) = λ·m + (1−λ)·g, then SGD from w with a bf16 b
import { SharpnessStep, type Pointers } from './sharpness_step';

export class LowMemorySharpnessStep extends SharpnessStep {
  // What perturb() climbed with, to climb down again: g's pointers, the scale ρ/‖d‖, and
  // whether d used m.
  private climbGradients: Pointers = [];
  private climbScale = 0;
  private climbFriendly = false;

  protected override get lowMemory(): boolean { return true; }

  protected override sumsq(i: number, w: number, g: number, friendly: boolean): number {
    return friendly ? this.kernels.f32_fsam_sumsq_bf16m(g, this.arena.pointer('ema_bf16', i), this.sizes[i], this.hyper.sigma)
      : this.kernels.f32_sam_sumsq(g, w, this.sizes[i], false);
  }

  protected override climb(w: Pointers, g: Pointers, friendly: boolean, scale: number): void {
    const { sigma } = this.hyper, kernels = this.kernels;
    for (let i = 0; i < this.sizes.length; i++) {
      if (friendly) kernels.f32_fsam_perturb_bf16m(w[i], g[i], this.arena.pointer('ema_bf16', i), this.sizes[i], sigma, scale);
      else kernels.f32_sam_perturb(w[i], w[i], g[i], this.sizes[i], scale, false);
    }
    this.climbGradients = g;
    this.climbScale = scale;
    this.climbFriendly = friendly;
  }

  protected override descend(w: Pointers): void {
    const g = this.climbGradients, scale = this.climbScale, { sigma } = this.hyper;
    for (let i = 0; i < this.sizes.length; i++) {
      if (this.climbFriendly) this.kernels.f32_fsam_unperturb_bf16m(w[i], g[i], this.arena.pointer('ema_bf16', i), this.sizes[i], sigma, scale);
      else this.kernels.f32_sam_unperturb(w[i], g[i], this.sizes[i], scale);
    }
  }

  protected override settle(w: Pointers, g: Pointers, g2: Pointers): void {
    this.restore(w); // w − ε needs the old m: before the EMA
    this.updateEma(g);
    this.baseStep(w, (i) => w[i], g2);
  }

  protected override ema(i: number, g: number, lambda: number): void {
    const m = this.arena.pointer('ema_bf16', i);
    if (this.emaReady) this.kernels.f32_fsam_ema_bf16m(m, g, this.sizes[i], lambda, 1 - lambda);
    else this.kernels.f32_to_bf16(m, g, this.sizes[i]);
  }

  protected override sgd(i: number, w: number, _from: number, g: number, mode: number, first: boolean): void {
    const hyper = this.hyper;
    const b = mode === this.kernels.SGD_PLAIN ? 0 : this.arena.pointer('momentum_bf16', i);
    this.kernels.f32_sgd_update_bf16b(w, g, b, this.sizes[i], hyper.learningRate, hyper.weightDecay, hyper.momentum, mode, first);
  }
}
