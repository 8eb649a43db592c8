// Σd² of the perturbation direction, accumulated in f64 in a fixed blocked order
// (below). The scalar twins follow the same order, so SIMD and
// scalar, x86 and ARM, Node, Deno and Chromium all give the same bits.
//
//   SAM   d = g                 F-SAM  d = g − σ·m   (m: the EMA of past gradients)
//   ASAM  the summand is (|w|·d)²  — |w|·d squares like w·d, so no abs is needed.
// mk says where m is: none (SAM), a float32 slab, or a bf16 slab (low-memory mode; the
// byte offset of element i is then i/2 of a float32's), decoded exactly to float32.
import { NO_M, M_F32, M_BF16, UNIT_SIGMA, minus_sigma_m_simd, minus_sigma_m_scalar } from './bf16';

/** d for the vector at byte offset i + off (off a constant, folded into the loads). */
@inline function direction_simd(g: usize, m: usize, i: usize, off: usize, sigma: v128, mk: i32): v128 {
  return minus_sigma_m_simd(v128.load(g + i + off), sigma, m, i, off, mk);
}

@inline function direction_scalar(g: usize, m: usize, i: usize, sigma: f32, mk: i32): f32 {
  return minus_sigma_m_scalar(load<f32>(g + i), sigma, m, i, mk);
}

// 16 floats per block, as four vectors d0…d3: squares in f32, t = (d0²+d1²)+(d2²+d3²)
// in f32 (lane k sums elements k, k+4, k+8, k+12 of the block), then t's four lanes
// accumulate in f64: lanes 0,1 in one f64x2, lanes 2,3 in another. The four lane sums
// combine as (l0+l1)+(l2+l3); the tail adds d² in f64 in index order. Squaring in f64
// costs twice the instructions and made this kernel compute-bound at 2.3× the triad.
// A square over f32's range (|d| > 1.8e19) overflows that path; only then does the
// sum run again with every square in f64 (wide_*: lanes k, k+1 in one f64x2 accumulator
// per half vector, combined (0+1)+(2+3)), so the result is Inf only if Σd² is.
@inline function direction_block(g: usize, m: usize, w: usize, i: usize, off: usize, s: v128, mk: i32, adaptive: bool): v128 {
  let d = direction_simd(g, m, i, off, s, mk);
  if (adaptive) d = f32x4.mul(v128.load(w + i + off), d);
  return f32x4.mul(d, d);
}

@inline function sumsq_simd(g: usize, m: usize, w: usize, n: usize, sigma: f32, mk: i32, adaptive: bool): f64 {
  const sum = narrow_simd(g, m, w, n, sigma, mk, adaptive);
  return isFinite(sum) ? sum : wide_simd(g, m, w, n, sigma, mk, adaptive);
}

@inline function sumsq_scalar(g: usize, m: usize, w: usize, n: usize, sigma: f32, mk: i32, adaptive: bool): f64 {
  const sum = narrow_scalar(g, m, w, n, sigma, mk, adaptive);
  return isFinite(sum) ? sum : wide_scalar(g, m, w, n, sigma, mk, adaptive);
}

@inline function narrow_simd(g: usize, m: usize, w: usize, n: usize, sigma: f32, mk: i32, adaptive: bool): f64 {
  const s = f32x4.splat(sigma);
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  const body = (n & ~15) << 2;
  for (let i: usize = 0; i < body; i += 64) {
    const t = f32x4.add(
      f32x4.add(direction_block(g, m, w, i, 0, s, mk, adaptive), direction_block(g, m, w, i, 16, s, mk, adaptive)),
      f32x4.add(direction_block(g, m, w, i, 32, s, mk, adaptive), direction_block(g, m, w, i, 48, s, mk, adaptive)));
    lo = f64x2.add(lo, f64x2.promote_low_f32x4(t));
    hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<u32>(t, t, 2, 3, 2, 3)));
  }
  let sum = (f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1))
          + (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1));
  for (let i = body; i < n << 2; i += 4) sum += square_scalar(g, m, w, i, sigma, mk, adaptive);
  return sum;
}

@inline function square_scalar(g: usize, m: usize, w: usize, i: usize, sigma: f32, mk: i32, adaptive: bool): f64 {
  let d = direction_scalar(g, m, i, sigma, mk);
  if (adaptive) d = load<f32>(w + i) * d;
  return <f64>d * <f64>d;
}

@inline function square_f32(g: usize, m: usize, w: usize, i: usize, sigma: f32, mk: i32, adaptive: bool): f32 {
  let d = direction_scalar(g, m, i, sigma, mk);
  if (adaptive) d = load<f32>(w + i) * d;
  return d * d;
}

/** Lane k of the SIMD block sum t: (d[k]²+d[k+4]²)+(d[k+8]²+d[k+12]²) in f32. */
@inline function lane_scalar(g: usize, m: usize, w: usize, i: usize, sigma: f32, mk: i32, adaptive: bool): f64 {
  return <f64>((square_f32(g, m, w, i, sigma, mk, adaptive) + square_f32(g, m, w, i + 16, sigma, mk, adaptive))
             + (square_f32(g, m, w, i + 32, sigma, mk, adaptive) + square_f32(g, m, w, i + 48, sigma, mk, adaptive)));
}

@inline function narrow_scalar(g: usize, m: usize, w: usize, n: usize, sigma: f32, mk: i32, adaptive: bool): f64 {
  let l0: f64 = 0, l1: f64 = 0, l2: f64 = 0, l3: f64 = 0;
  const body = (n & ~15) << 2;
  for (let i: usize = 0; i < body; i += 64) {
    l0 += lane_scalar(g, m, w, i, sigma, mk, adaptive);
    l1 += lane_scalar(g, m, w, i + 4, sigma, mk, adaptive);
    l2 += lane_scalar(g, m, w, i + 8, sigma, mk, adaptive);
    l3 += lane_scalar(g, m, w, i + 12, sigma, mk, adaptive);
  }
  let sum = (l0 + l1) + (l2 + l3);
  for (let i = body; i < n << 2; i += 4) sum += square_scalar(g, m, w, i, sigma, mk, adaptive);
  return sum;
}

function wide_simd(g: usize, m: usize, w: usize, n: usize, sigma: f32, mk: i32, adaptive: bool): f64 {
  const s = f32x4.splat(sigma);
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    let d = direction_simd(g, m, i, 0, s, mk);
    if (adaptive) d = f32x4.mul(v128.load(w + i), d);
    const dl = f64x2.promote_low_f32x4(d), dh = f64x2.promote_low_f32x4(v128.shuffle<u32>(d, d, 2, 3, 2, 3));
    lo = f64x2.add(lo, f64x2.mul(dl, dl));
    hi = f64x2.add(hi, f64x2.mul(dh, dh));
  }
  let sum = (f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1))
          + (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1));
  for (let i = body; i < n << 2; i += 4) sum += square_scalar(g, m, w, i, sigma, mk, adaptive);
  return sum;
}

function wide_scalar(g: usize, m: usize, w: usize, n: usize, sigma: f32, mk: i32, adaptive: bool): f64 {
  let l0: f64 = 0, l1: f64 = 0, l2: f64 = 0, l3: f64 = 0;
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    l0 += square_scalar(g, m, w, i, sigma, mk, adaptive); l1 += square_scalar(g, m, w, i + 4, sigma, mk, adaptive);
    l2 += square_scalar(g, m, w, i + 8, sigma, mk, adaptive); l3 += square_scalar(g, m, w, i + 12, sigma, mk, adaptive);
  }
  let sum = (l0 + l1) + (l2 + l3);
  for (let i = body; i < n << 2; i += 4) sum += square_scalar(g, m, w, i, sigma, mk, adaptive);
  return sum;
}

/** Σ(g − σ·m)² over n floats; with adaptive, Σ(w·(g − σ·m))². */
// adaptive is tested first on purpose: dispatched on σ first, binaryen (-O3) merged the
// two adaptive variants of each loop into one that tested the flag on every vector,
// 15% of this kernel's time (seen in build/optimizer.wat; each loop should test only
// its own condition).
export function f32_fsam_sumsq_simd(g: usize, m: usize, w: usize, n: usize, sigma: f32, adaptive: bool): f64 {
  if (adaptive) return sigma == 1 ? sumsq_simd(g, m, w, n, 1, M_F32 | UNIT_SIGMA, true) : sumsq_simd(g, m, w, n, sigma, M_F32, true);
  return sigma == 1 ? sumsq_simd(g, m, w, n, 1, M_F32 | UNIT_SIGMA, false) : sumsq_simd(g, m, w, n, sigma, M_F32, false);
}
export function f32_fsam_sumsq_scalar(g: usize, m: usize, w: usize, n: usize, sigma: f32, adaptive: bool): f64 {
  return adaptive ? sumsq_scalar(g, m, w, n, sigma, M_F32, true) : sumsq_scalar(g, m, w, n, sigma, M_F32, false);
}
/** Σg² over n floats; with adaptive, Σ(w·g)². */
export function f32_sam_sumsq_simd(g: usize, w: usize, n: usize, adaptive: bool): f64 {
  return adaptive ? sumsq_simd(g, 0, w, n, 0, NO_M, true) : sumsq_simd(g, 0, w, n, 0, NO_M, false);
}
export function f32_sam_sumsq_scalar(g: usize, w: usize, n: usize, adaptive: bool): f64 {
  return adaptive ? sumsq_scalar(g, 0, w, n, 0, NO_M, true) : sumsq_scalar(g, 0, w, n, 0, NO_M, false);
}
/** Σ(g − σ·m)² over n floats, m in bf16 (low-memory mode; no adaptive variant). */
export function f32_fsam_sumsq_bf16m_simd(g: usize, m: usize, n: usize, sigma: f32): f64 {
  if (sigma == 1) return sumsq_simd(g, m, 0, n, 1, M_BF16 | UNIT_SIGMA, false);
  return sumsq_simd(g, m, 0, n, sigma, M_BF16, false);
}
export function f32_fsam_sumsq_bf16m_scalar(g: usize, m: usize, n: usize, sigma: f32): f64 {
  return sumsq_scalar(g, m, 0, n, sigma, M_BF16, false);
}
