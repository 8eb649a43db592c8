// Σd² of the perturbation direction, in f64, in a fixed blocked order: lane k of the
// 4-wide main loop sums elements i ≡ k (mod 4); the lanes combine as (0+1)+(2+3); the
// tail adds on in index order. The scalar twins follow the same order, so SIMD and
// scalar, x86 and ARM, Node, Deno and Chromium all give the same bits.
//
//   SAM   d = g                 F-SAM  d = g − σ·m   (m: the EMA of past gradients)
//   ASAM  the summand is (|w|·d)²  — |w|·d squares like w·d, so no abs is needed.

@inline function direction_simd(g: usize, m: usize, i: usize, sigma: v128, fsam: bool): v128 {
  const gv = v128.load(g + i);
  return fsam ? f32x4.sub(gv, f32x4.mul(sigma, v128.load(m + i))) : gv;
}

@inline function direction_scalar(g: usize, m: usize, i: usize, sigma: f32, fsam: bool): f32 {
  const gs = load<f32>(g + i);
  return fsam ? gs - sigma * load<f32>(m + i) : gs;
}

@inline function sumsq_simd(g: usize, m: usize, w: usize, n: usize, sigma: f32, fsam: bool, adaptive: bool): f64 {
  const s = f32x4.splat(sigma);
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    let d = direction_simd(g, m, i, s, fsam);
    if (adaptive) d = f32x4.mul(v128.load(w + i), d);
    const dl = f64x2.promote_low_f32x4(d);
    const dh = f64x2.promote_low_f32x4(v128.shuffle<u32>(d, d, 2, 3, 2, 3));
    lo = f64x2.add(lo, f64x2.mul(dl, dl));
    hi = f64x2.add(hi, f64x2.mul(dh, dh));
  }
  let sum = (f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1))
          + (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1));
  for (let i = body; i < n << 2; i += 4) {
    let d = direction_scalar(g, m, i, sigma, fsam);
    if (adaptive) d = load<f32>(w + i) * d;
    sum += <f64>d * <f64>d;
  }
  return sum;
}

@inline function sumsq_scalar(g: usize, m: usize, w: usize, n: usize, sigma: f32, fsam: bool, adaptive: bool): f64 {
  let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    let d0 = direction_scalar(g, m, i, sigma, fsam), d1 = direction_scalar(g, m, i + 4, sigma, fsam);
    let d2 = direction_scalar(g, m, i + 8, sigma, fsam), d3 = direction_scalar(g, m, i + 12, sigma, fsam);
    if (adaptive) {
      d0 = load<f32>(w + i) * d0; d1 = load<f32>(w + i + 4) * d1;
      d2 = load<f32>(w + i + 8) * d2; d3 = load<f32>(w + i + 12) * d3;
    }
    a0 += <f64>d0 * <f64>d0; a1 += <f64>d1 * <f64>d1;
    a2 += <f64>d2 * <f64>d2; a3 += <f64>d3 * <f64>d3;
  }
  let sum = (a0 + a1) + (a2 + a3);
  for (let i = body; i < n << 2; i += 4) {
    let d = direction_scalar(g, m, i, sigma, fsam);
    if (adaptive) d = load<f32>(w + i) * d;
    sum += <f64>d * <f64>d;
  }
  return sum;
}

/** Σ(g − σ·m)² over n floats; with adaptive, Σ(w·(g − σ·m))². */
export function f32_fsam_sumsq_simd(g: usize, m: usize, w: usize, n: usize, sigma: f32, adaptive: bool): f64 {
  return adaptive ? sumsq_simd(g, m, w, n, sigma, true, true) : sumsq_simd(g, m, w, n, sigma, true, false);
}
export function f32_fsam_sumsq_scalar(g: usize, m: usize, w: usize, n: usize, sigma: f32, adaptive: bool): f64 {
  return adaptive ? sumsq_scalar(g, m, w, n, sigma, true, true) : sumsq_scalar(g, m, w, n, sigma, true, false);
}
/** Σg² over n floats; with adaptive, Σ(w·g)². */
export function f32_sam_sumsq_simd(g: usize, w: usize, n: usize, adaptive: bool): f64 {
  return adaptive ? sumsq_simd(g, 0, w, n, 0, false, true) : sumsq_simd(g, 0, w, n, 0, false, false);
}
export function f32_sam_sumsq_scalar(g: usize, w: usize, n: usize, adaptive: bool): f64 {
  return adaptive ? sumsq_scalar(g, 0, w, n, 0, false, true) : sumsq_scalar(g, 0, w, n, 0, false, false);
}
