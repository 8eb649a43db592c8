// STREAM triad a = b + s·c: the memory-bandwidth roofline the optimizer step is
// measured against, run in the same module and the same memory. (Its scalar twin is
// there so that every _simd export has one.)
export function f32_triad_simd(a: usize, b: usize, c: usize, n: usize, s: f32): void {
  const sv = f32x4.splat(s);
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    v128.store(a + i, f32x4.add(v128.load(b + i), f32x4.mul(sv, v128.load(c + i))));
  }
  for (let i = body; i < n << 2; i += 4) store<f32>(a + i, load<f32>(b + i) + s * load<f32>(c + i));
}

export function f32_triad_scalar(a: usize, b: usize, c: usize, n: usize, s: f32): void {
  for (let i: usize = 0; i < n << 2; i += 4) store<f32>(a + i, load<f32>(b + i) + s * load<f32>(c + i));
}
