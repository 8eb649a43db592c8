// Where the first NaN or ±Inf sits, or -1. A float is finite exactly when its exponent
// bits are not all ones: (bits & 0x7f800000) != 0x7f800000.

// x − x is 0 for a finite x and NaN for NaN or ±Inf, and NaN survives addition: four
// accumulators of x − x carry the answer through the array with two instructions per
// vector and no branch. Only when they end NaN is the first bad index searched for.
@inline function zero_if_finite(x: usize, i: usize): v128 {
  const v = v128.load(x + i);
  return f32x4.sub(v, v);
}

export function f32_first_nonfinite_simd(x: usize, n: usize): isize {
  let a = f32x4.splat(0), b = f32x4.splat(0), c = f32x4.splat(0), d = f32x4.splat(0);
  const body = (n & ~15) << 2;
  for (let i: usize = 0; i < body; i += 64) {
    a = f32x4.add(a, zero_if_finite(x, i));
    b = f32x4.add(b, zero_if_finite(x, i + 16));
    c = f32x4.add(c, zero_if_finite(x, i + 32));
    d = f32x4.add(d, zero_if_finite(x, i + 48));
  }
  const all = f32x4.add(f32x4.add(a, b), f32x4.add(c, d));
  const clean = f32x4.eq(all, all); // false lanes are NaN
  if (!v128.all_true<i32>(clean)) return first_scalar(x, 0, body);
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
