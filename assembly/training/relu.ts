// ReLU, float32: y = x where x > 0 or x is NaN, else 0 (−0 and −Inf included), by selecting
// bits, not by arithmetic: NaN keeps its exact bits (WebAssembly's f32 max may return any
// NaN), so the result is the same bits on every engine. On every other input these are the
// bits of tfjs-wasm's XNNPACK clamp (a test compares them, ±0 and ±Inf included); it gave a
// positive NaN for a negative one.

export function f32_relu_simd(x: usize, y: usize, n: usize): void {
  // v & ~(v <= 0): v where v > 0 or NaN (NaN ≤ 0 is false), else +0. 16 values per round.
  const zero = f32x4.splat(0);
  const body16 = (n & ~15) << 2, body = (n & ~3) << 2;
  let i: usize = 0;
  for (; i < body16; i += 64) {
    const a = v128.load(x + i), b = v128.load(x + i, 16), c = v128.load(x + i, 32), d = v128.load(x + i, 48);
    v128.store(y + i, v128.andnot(a, f32x4.le(a, zero)));
    v128.store(y + i, v128.andnot(b, f32x4.le(b, zero)), 16);
    v128.store(y + i, v128.andnot(c, f32x4.le(c, zero)), 32);
    v128.store(y + i, v128.andnot(d, f32x4.le(d, zero)), 48);
  }
  for (; i < body; i += 16) {
    const v = v128.load(x + i);
    v128.store(y + i, v128.andnot(v, f32x4.le(v, zero)));
  }
  for (; i < n << 2; i += 4) store<f32>(y + i, relu(load<f32>(x + i)));
}

export function f32_relu_scalar(x: usize, y: usize, n: usize): void {
  for (let i: usize = 0; i < n << 2; i += 4) store<f32>(y + i, relu(load<f32>(x + i)));
}

@inline function relu(v: f32): f32 {
  return select<f32>(0, v, v <= 0); // v ≤ 0 is false for NaN
}
