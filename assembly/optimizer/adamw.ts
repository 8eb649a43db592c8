// Restore and AdamW update, PyTorch's semantics (decoupled weight decay):
//   w = w_old·(1 − lr·wd);  m₁ = β₁·m₁ + (1−β₁)·g₂;  v = β₂·v + (1−β₂)·g₂²;
//   w = w − (lr/(1−β₁ᵗ))·m₁ / (√v/√(1−β₂ᵗ) + eps)
// The caller folds the scalars in float64: decay = 1 − lr·wd, omb = 1 − β (as PyTorch
// does: 1 − β₂ computed in f32 from β₂ = 0.999f would be 1.3e-5 off), stepSize =
// lr/(1−β₁ᵗ), bc2sqrt = √(1−β₂ᵗ). With w_old == w it is plain AdamW.

@inline function adamw_one(w: usize, wold: usize, g: usize, m1: usize, v: usize, i: usize, decay: f32,
                           b1: f32, omb1: f32, b2: f32, omb2: f32, eps: f32, stepSize: f32, bc2sqrt: f32): void {
  const x = load<f32>(wold + i) * decay;
  const gi = load<f32>(g + i);
  const mn = load<f32>(m1 + i) * b1 + gi * omb1;
  const vn = load<f32>(v + i) * b2 + (gi * gi) * omb2;
  store<f32>(m1 + i, mn);
  store<f32>(v + i, vn);
  store<f32>(w + i, x - stepSize * (mn / (Mathf.sqrt(vn) / bc2sqrt + eps)));
}

export function f32_adamw_update_simd(w: usize, wold: usize, g: usize, m1: usize, v: usize, n: usize, decay: f32,
                                      b1: f32, omb1: f32, b2: f32, omb2: f32, eps: f32, stepSize: f32, bc2sqrt: f32): void {
  const dv = f32x4.splat(decay), b1v = f32x4.splat(b1), o1v = f32x4.splat(omb1), b2v = f32x4.splat(b2);
  const o2v = f32x4.splat(omb2), ev = f32x4.splat(eps), sv = f32x4.splat(stepSize), cv = f32x4.splat(bc2sqrt);
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    const x = f32x4.mul(v128.load(wold + i), dv);
    const gi = v128.load(g + i);
    const mn = f32x4.add(f32x4.mul(v128.load(m1 + i), b1v), f32x4.mul(gi, o1v));
    const vn = f32x4.add(f32x4.mul(v128.load(v + i), b2v), f32x4.mul(f32x4.mul(gi, gi), o2v));
    v128.store(m1 + i, mn);
    v128.store(v + i, vn);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vn), cv), ev);
    v128.store(w + i, f32x4.sub(x, f32x4.mul(sv, f32x4.div(mn, denom))));
  }
  for (let i = body; i < n << 2; i += 4) adamw_one(w, wold, g, m1, v, i, decay, b1, omb1, b2, omb2, eps, stepSize, bc2sqrt);
}

export function f32_adamw_update_scalar(w: usize, wold: usize, g: usize, m1: usize, v: usize, n: usize, decay: f32,
                                        b1: f32, omb1: f32, b2: f32, omb2: f32, eps: f32, stepSize: f32, bc2sqrt: f32): void {
  for (let i: usize = 0; i < n << 2; i += 4) adamw_one(w, wold, g, m1, v, i, decay, b1, omb1, b2, omb2, eps, stepSize, bc2sqrt);
}
