// A float64 port of the reference semantics (shared/DESIGN.md §1: nblt/F-SAM's
// FriendlySAM, davda54's SAM, torch.optim.SGD and AdamW), written from the equations
// and independent of the library's code. Weights and state are Float64Arrays.
// With h.lowMemory, m and the momentum buffer are kept as bf16 values (rounded to
// nearest even after each update; the momentum step itself uses the unrounded value).
import { bf16Round, bf16Value } from './kernel_reference.mjs';

const bf16 = (x) => bf16Value(bf16Round(x));

export class ReferenceOptimizer {
  constructor(h, sizes) {
    this.h = h;
    this.q = h.lowMemory ? bf16 : (x) => x;
    const zeros = () => sizes.map((n) => new Float64Array(n));
    this.m = null; // F-SAM's EMA, created on the first step
    this.buf = null; // SGD momentum buffers, created on the first step
    this.m1 = zeros(); this.v = zeros(); // AdamW
    this.t = 0;
  }

  /** w: Float64Array[] updated in place; grad(w) → Float64Array[] at the given weights. */
  step(w, grad) {
    const h = this.h;
    const g = grad(w);
    if (h.sharpness === 'none') return this.base(w, g);
    let d;
    if (h.sharpness === 'sam') d = g;
    else if (this.m === null) { this.m = g.map((x) => x.map(this.q)); d = g; }
    else {
      d = g.map((x, i) => x.map((gj, j) => gj - h.sigma * this.m[i][j]));
      this.m = this.m.map((x, i) => x.map((mj, j) => this.q(h.lambda * mj + (1 - h.lambda) * g[i][j])));
    }
    // n = ‖d‖₂ over all variables (ASAM: ‖|w|⊙d‖₂), as the norm of per-variable norms.
    const norms = d.map((x, i) => Math.hypot(...x.map((dj, j) => (h.adaptive ? Math.abs(w[i][j]) : 1) * dj)));
    const n = Math.hypot(...norms);
    const wOld = w.map((x) => x.slice());
    w.forEach((x, i) => x.forEach((wj, j) => {
      x[j] = wj + h.rho * (h.adaptive ? wj * wj : 1) * d[i][j] / (n + 1e-12);
    }));
    const g2 = grad(w);
    w.forEach((x, i) => x.set(wOld[i]));
    return this.base(w, g2);
  }

  base(w, g) {
    const h = this.h;
    this.t += 1;
    if (h.base === 'sgd') {
      const first = this.buf === null;
      if (first) this.buf = w.map((x) => new Float64Array(x.length));
      w.forEach((x, i) => x.forEach((wj, j) => {
        let p = g[i][j] + h.weightDecay * wj;
        if (h.momentum > 0) {
          const b = first ? p : h.momentum * this.buf[i][j] + p;
          this.buf[i][j] = this.q(b);
          p = h.nesterov ? p + h.momentum * b : b;
        }
        x[j] = wj - h.learningRate * p;
      }));
    } else {
      const bc1 = 1 - h.beta1 ** this.t, bc2 = 1 - h.beta2 ** this.t;
      w.forEach((x, i) => x.forEach((wj, j) => {
        const wd = wj * (1 - h.learningRate * h.weightDecay);
        this.m1[i][j] = h.beta1 * this.m1[i][j] + (1 - h.beta1) * g[i][j];
        this.v[i][j] = h.beta2 * this.v[i][j] + (1 - h.beta2) * g[i][j] ** 2;
        x[j] = wd - (h.learningRate / bc1) * this.m1[i][j] / (Math.sqrt(this.v[i][j]) / Math.sqrt(bc2) + h.epsilon);
      }));
    }
  }
}
