// Where the first NaN or ±Inf sits, or -1. A float is finite exactly when its exponent
// bits are not all ones: (bits & 0x7f800000) != 0x7f800000.

// The exponent bits, masked, are 0x7f800000 exactly for NaN and ±Inf and less for any
// finite float: four accumulators of their unsigned maximum carry the answer through the
// array with two one-cycle integer instructions per vector and no branch (an f32
// accumulator of x − x would do the same with four-cycle adds). Only when a lane ends
// at 0x7f800000 is the first bad index searched for.
// (x + i + off, off a constant: folded into the load's offset immediate.)
@inline function exponent(x: usize, i: usize, off: usize, mask: v128): v128 {
  return v128.and(v128.load(x + i + off), mask);
}

export function f32_first_nonfinite_simd(x: usize, n: usize): isize {
  const mask = i32x4.splat(0x7f800000);
  let a = i32x4.splat(0), b = i32x4.splat(0), c = i32x4.splat(0), d = i32x4.splat(0);
  const body = (n & ~15) << 2;
  for (let i: usize = 0; i < body; i += 64) {
    a = i32x4.max_u(a, exponent(x, i, 0, mask));
    b = i32x4.max_u(b, exponent(x, i, 16, mask));
    c = i32x4.max_u(c, exponent(x, i, 32, mask));
    d = i32x4.max_u(d, exponent(x, i, 48, mask));
  }
  const all = i32x4.max_u(i32x4.max_u(a, b), i32x4.max_u(c, d));
  if (v128.any_true(i32x4.eq(all, mask))) return first_scalar(x, 0, body);
  return first_scalar(x, body, n << 2);
}

export function f32_first_nonfinite_scalar(x: usize, n: usize): isize {
  return first_scalar(x, 0, n << 2);
}

@inline function first_scalar(x: usize, from: usize, to: usize): isize {
  for (let i = from; i < to; i += 4) {
    if ((load<u32>(x + i) & 0x7f800000) == 0x7f800000) return <isize>(i >> 2);
  }
  return -1;
}
