// bfloat16 storage for the low-memory mode's state (F-SAM's m, SGD's momentum): the top
// 16 bits of a float32, rounded to nearest, ties to even. bf16 keeps float32's exponent,
// so no gradient statistic under- or overflows where float16 would (its smallest normal
// is 6e-5); the cost is 8 significant bits (relative rounding ≤ 2⁻⁸). Decoding is a shift.
// NaN stays a quiet NaN of the same sign; a finite value rounds to ±Inf only above
// bf16's largest, 3.39e38. Arithmetic stays float32: state is decoded, used, re-rounded.

// `mk` says where the state kernels read m, as flags; each call site passes a constant,
// so the tests on it fold away. HasM and InBf16 are a const enum, inlined where used, so
// the code compiles exactly as with literal bits (a const global there does not: binaryen
// then allocates the surrounding function's locals differently).
const enum MFlag {
  /** F-SAM: there is an m (SAM has none). */
  HasM = 1,
  /** The low-memory mode's m, 2 bytes per element. */
  InBf16 = 2,
}
/** The three places m can be: none, HasM, HasM | InBf16. */
export const NO_M: i32 = 0, M_F32: i32 = 1, M_BF16: i32 = 3;
/** A flag on M_F32 or M_BF16: σ = 1, so σ·m = m exactly and the multiply is left out (the same bits). */
export const UNIT_SIGMA: i32 = 4;

@inline export function bf16_load(p: usize): f32 {
  return reinterpret<f32>(<u32>load<u16>(p) << 16);
}

@inline export function bf16_round(x: f32): u16 {
  const b = reinterpret<u32>(x);
  if (x != x) return <u16>((b >> 16) | 0x40);
  return <u16>((b + 0x7fff + ((b >> 16) & 1)) >> 16);
}

@inline export function bf16_store(p: usize, x: f32): void {
  store<u16>(p, bf16_round(x));
}

/** Four bf16 at p, as an f32x4. */
@inline export function bf16x4_load(p: usize): v128 {
  return i32x4.shl(v128.load16x4_u(p), 16);
}

/** The four lanes of x rounded to bf16 (lane-wise as bf16_round), stored as 8 bytes at p. */
@inline export function bf16x4_store(p: usize, x: v128): void {
  const hi = i32x4.shr_u(x, 16);
  const up = i32x4.add(i32x4.add(x, i32x4.splat(0x7fff)), v128.and(hi, i32x4.splat(1)));
  const r = v128.bitselect(v128.or(hi, i32x4.splat(0x40)), i32x4.shr_u(up, 16), f32x4.ne(x, x));
  v128.store64_lane(p, i16x8.narrow_i32x4_u(r, r), 0);
}

/** The float32 slab's elements at byte offset i + off, or the same elements of a bf16 slab
 *  (at half that), as f32. off is a constant: `m + i + off` lets the optimizer fold it into
 *  the load's offset immediate, where `m + (i + off)` would cost an add per load. */
@inline export function m_simd(m: usize, i: usize, off: usize, mk: i32): v128 {
  return (mk & MFlag.InBf16) != 0 ? bf16x4_load(m + (i >> 1) + (off >> 1)) : v128.load(m + i + off);
}

@inline export function m_scalar(m: usize, i: usize, mk: i32): f32 {
  return (mk & MFlag.InBf16) != 0 ? bf16_load(m + (i >> 1)) : load<f32>(m + i);
}

/** d − σ·m (F-SAM's direction) for the vector at byte offset i + off; d unchanged without m. */
@inline export function minus_sigma_m_simd(d: v128, s: v128, m: usize, i: usize, off: usize, mk: i32): v128 {
  if ((mk & MFlag.HasM) == 0) return d;
  const mv = m_simd(m, i, off, mk);
  return f32x4.sub(d, (mk & UNIT_SIGMA) != 0 ? mv : f32x4.mul(s, mv));
}

@inline export function minus_sigma_m_scalar(d: f32, sigma: f32, m: usize, i: usize, mk: i32): f32 {
  if ((mk & MFlag.HasM) == 0) return d;
  return d - sigma * m_scalar(m, i, mk);
}

/** dst (bf16) = src (f32), rounded: m = g on the first low-memory F-SAM step. */
export function f32_to_bf16_simd(dst: usize, src: usize, n: usize): void {
  const body = n & ~3;
  for (let i: usize = 0; i < body; i += 4) bf16x4_store(dst + (i << 1), v128.load(src + (i << 2)));
  for (let i = body; i < n; i++) bf16_store(dst + (i << 1), load<f32>(src + (i << 2)));
}

export function f32_to_bf16_scalar(dst: usize, src: usize, n: usize): void {
  for (let i: usize = 0; i < n; i++) bf16_store(dst + (i << 1), load<f32>(src + (i << 2)));
}
