// Climb to the local maximum: w_old = w, then w = w + ε with
//   ε = scale·d            scale = ρ / (‖d‖ + 1e-12), computed by the caller
//   ε = scale·(w²·d)       ASAM, the official code's order: (w·w·d)·scale
// d is recomputed from g and m rather than stored, so the step needs no d slab.
// w_old may equal w (low-memory mode: no copy; restored later by subtracting ε).

@inline function perturb_simd(w: usize, wold: usize, g: usize, m: usize, n: usize, sigma: f32, scale: f32, fsam: bool, adaptive: bool): void {
  const s = f32x4.splat(sigma), k = f32x4.splat(scale);
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    const wv = v128.load(w + i);
    let d = v128.load(g + i);
    if (fsam) d = f32x4.sub(d, f32x4.mul(s, v128.load(m + i)));
    if (adaptive) d = f32x4.mul(f32x4.mul(wv, wv), d);
    v128.store(wold + i, wv);
    v128.store(w + i, f32x4.add(wv, f32x4.mul(d, k)));
  }
  for (let i = body; i < n << 2; i += 4) perturb_one(w, wold, g, m, i, sigma, scale, fsam, adaptive);
}

@inline function perturb_one(w: usize, wold: usize, g: usize, m: usize, i: usize, sigma: f32, scale: f32, fsam: bool, adaptive: bool): void {
  const wv = load<f32>(w + i);
  let d = load<f32>(g + i);
  if (fsam) d = d - sigma * load<f32>(m + i);
  if (adaptive) d = (wv * wv) * d;
  store<f32>(wold + i, wv);
  store<f32>(w + i, wv + d * scale);
}

@inline function perturb_scalar(w: usize, wold: usize, g: usize, m: usize, n: usize, sigma: f32, scale: f32, fsam: bool, adaptive: bool): void {
  for (let i: usize = 0; i < n << 2; i += 4) perturb_one(w, wold, g, m, i, sigma, scale, fsam, adaptive);
}

export function f32_fsam_perturb_simd(w: usize, wold: usize, g: usize, m: usize, n: usize, sigma: f32, scale: f32, adaptive: bool): void {
  if (adaptive) perturb_simd(w, wold, g, m, n, sigma, scale, true, true);
  else perturb_simd(w, wold, g, m, n, sigma, scale, true, false);
}
export function f32_fsam_perturb_scalar(w: usize, wold: usize, g: usize, m: usize, n: usize, sigma: f32, scale: f32, adaptive: bool): void {
  if (adaptive) perturb_scalar(w, wold, g, m, n, sigma, scale, true, true);
  else perturb_scalar(w, wold, g, m, n, sigma, scale, true, false);
}
export function f32_sam_perturb_simd(w: usize, wold: usize, g: usize, n: usize, scale: f32, adaptive: bool): void {
  if (adaptive) perturb_simd(w, wold, g, 0, n, 0, scale, false, true);
  else perturb_simd(w, wold, g, 0, n, 0, scale, false, false);
}
export function f32_sam_perturb_scalar(w: usize, wold: usize, g: usize, n: usize, scale: f32, adaptive: bool): void {
  if (adaptive) perturb_scalar(w, wold, g, 0, n, 0, scale, false, true);
  else perturb_scalar(w, wold, g, 0, n, 0, scale, false, false);
}
