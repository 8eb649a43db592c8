// Where the first NaN or ±Inf sits, or -1. A float is finite exactly when its exponent
// bits are not all ones: (bits & 0x7f800000) != 0x7f800000.

export function f32_first_nonfinite_simd(x: usize, n: usize): isize {
  const mask = i32x4.splat(0x7f800000);
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    const bad = i32x4.eq(v128.and(v128.load(x + i), mask), mask);
    if (v128.any_true(bad)) return first_scalar(x, i, i + 16);
  }
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
