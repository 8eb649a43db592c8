// Climb to the local maximum: w_old = w, then w = w + ε with
//   ε = scale·d            scale = ρ / (‖d‖ + 1e-12), computed by the caller
//   ε = scale·(w²·d)       ASAM, the official code's order: (w·w·d)·scale
// d is recomputed from g and m rather than stored, so the step needs no d slab.
// w_old may equal w (low-memory mode: no copy). The low-memory mode then comes back
// with unperturb: w = (w + ε) − ε, ε recomputed from the same g, the same (old) m and
// the same scale, so it has the same bits; but w + ε and then − ε each round once, so
// the restored w is within 2⁻²⁴·(|w + ε| + |w|) of the original (the copy is exact).
import { NO_M, M_F32, M_BF16, UNIT_SIGMA, minus_sigma_m_simd, minus_sigma_m_scalar } from './bf16';

@inline function perturb_simd(w: usize, wold: usize, g: usize, m: usize, n: usize, sigma: f32, scale: f32, mk: i32, adaptive: bool): void {
  const s = f32x4.splat(sigma), k = f32x4.splat(scale);
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    const wv = v128.load(w + i);
    let d = v128.load(g + i);
    d = minus_sigma_m_simd(d, s, m, i, 0, mk);
    if (adaptive) d = f32x4.mul(f32x4.mul(wv, wv), d);
    v128.store(wold + i, wv);
    v128.store(w + i, f32x4.add(wv, f32x4.mul(d, k)));
  }
  for (let i = body; i < n << 2; i += 4) perturb_one(w, wold, g, m, i, sigma, scale, mk, adaptive);
}

@inline function perturb_one(w: usize, wold: usize, g: usize, m: usize, i: usize, sigma: f32, scale: f32, mk: i32, adaptive: bool): void {
  const wv = load<f32>(w + i);
  let d = load<f32>(g + i);
  d = minus_sigma_m_scalar(d, sigma, m, i, mk);
  if (adaptive) d = (wv * wv) * d;
  store<f32>(wold + i, wv);
  store<f32>(w + i, wv + d * scale);
}

@inline function perturb_scalar(w: usize, wold: usize, g: usize, m: usize, n: usize, sigma: f32, scale: f32, mk: i32, adaptive: bool): void {
  for (let i: usize = 0; i < n << 2; i += 4) perturb_one(w, wold, g, m, i, sigma, scale, mk, adaptive);
}

/** w = w − ε, ε = d·scale exactly as perturb computed it (no adaptive: ε would depend on w). */
@inline function unperturb_simd(w: usize, g: usize, m: usize, n: usize, sigma: f32, scale: f32, mk: i32): void {
  const s = f32x4.splat(sigma), k = f32x4.splat(scale);
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    let d = v128.load(g + i);
    d = minus_sigma_m_simd(d, s, m, i, 0, mk);
    v128.store(w + i, f32x4.sub(v128.load(w + i), f32x4.mul(d, k)));
  }
  for (let i = body; i < n << 2; i += 4) unperturb_one(w, g, m, i, sigma, scale, mk);
}

@inline function unperturb_one(w: usize, g: usize, m: usize, i: usize, sigma: f32, scale: f32, mk: i32): void {
  let d = load<f32>(g + i);
  d = minus_sigma_m_scalar(d, sigma, m, i, mk);
  store<f32>(w + i, load<f32>(w + i) - d * scale);
}

export function f32_fsam_perturb_simd(w: usize, wold: usize, g: usize, m: usize, n: usize, sigma: f32, scale: f32, adaptive: bool): void {
  if (sigma == 1) {
    if (adaptive) perturb_simd(w, wold, g, m, n, 1, scale, M_F32 | UNIT_SIGMA, true);
    else perturb_simd(w, wold, g, m, n, 1, scale, M_F32 | UNIT_SIGMA, false);
  } else if (adaptive) perturb_simd(w, wold, g, m, n, sigma, scale, M_F32, true);
  else perturb_simd(w, wold, g, m, n, sigma, scale, M_F32, false);
}
export function f32_fsam_perturb_scalar(w: usize, wold: usize, g: usize, m: usize, n: usize, sigma: f32, scale: f32, adaptive: bool): void {
  if (adaptive) perturb_scalar(w, wold, g, m, n, sigma, scale, M_F32, true);
  else perturb_scalar(w, wold, g, m, n, sigma, scale, M_F32, false);
}
export function f32_sam_perturb_simd(w: usize, wold: usize, g: usize, n: usize, scale: f32, adaptive: bool): void {
  if (adaptive) perturb_simd(w, wold, g, 0, n, 0, scale, NO_M, true);
  else perturb_simd(w, wold, g, 0, n, 0, scale, NO_M, false);
}
export function f32_sam_perturb_scalar(w: usize, wold: usize, g: usize, n: usize, scale: f32, adaptive: bool): void {
  if (adaptive) perturb_scalar(w, wold, g, 0, n, 0, scale, NO_M, true);
  else perturb_scalar(w, wold, g, 0, n, 0, scale, NO_M, false);
}

/** Low-memory F-SAM: w = w + ε in place (no w_old), m in bf16. */
export function f32_fsam_perturb_bf16m_simd(w: usize, g: usize, m: usize, n: usize, sigma: f32, scale: f32): void {
  if (sigma == 1) perturb_simd(w, w, g, m, n, 1, scale, M_BF16 | UNIT_SIGMA, false);
  else perturb_simd(w, w, g, m, n, sigma, scale, M_BF16, false);
}
export function f32_fsam_perturb_bf16m_scalar(w: usize, g: usize, m: usize, n: usize, sigma: f32, scale: f32): void {
  perturb_scalar(w, w, g, m, n, sigma, scale, M_BF16, false);
}

/** Low-memory restore: w = w − ε; F-SAM with m in bf16, or SAM (m unused). */
export function f32_fsam_unperturb_bf16m_simd(w: usize, g: usize, m: usize, n: usize, sigma: f32, scale: f32): void {
  if (sigma == 1) unperturb_simd(w, g, m, n, 1, scale, M_BF16 | UNIT_SIGMA);
  else unperturb_simd(w, g, m, n, sigma, scale, M_BF16);
}
export function f32_fsam_unperturb_bf16m_scalar(w: usize, g: usize, m: usize, n: usize, sigma: f32, scale: f32): void {
  for (let i: usize = 0; i < n << 2; i += 4) unperturb_one(w, g, m, i, sigma, scale, M_BF16);
}
export function f32_sam_unperturb_simd(w: usize, g: usize, n: usize, scale: f32): void {
  unperturb_simd(w, g, 0, n, 0, scale, NO_M);
}
export function f32_sam_unperturb_scalar(w: usize, g: usize, n: usize, scale: f32): void {
  for (let i: usize = 0; i < n << 2; i += 4) unperturb_one(w, g, 0, i, 0, scale, NO_M);
}
