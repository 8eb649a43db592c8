// ReLU, float32: y = x where x > 0 or x is NaN, else 0 (−0 and −Inf included), by selecting
// bits, not by arithmetic: NaN keeps its exact bits (WebAssembly's f32 max may return any
// NaN), so the result is the same bits on every engine. On every other input these are the
// bits of tfjs-wasm's XNNPACK clamp (a test compares them, ±0 and ±Inf included); it gave a
// positive NaN for a negative one.

export function f32_relu_simd(x: usize, y: usize, n: usize): void {
  const zero = f32x4.splat(0);
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    const v = v128.load(x + i);
    v128.store(y + i, v128.bitselect(v, zero, v128.or(f32x4.gt(v, zero), f32x4.ne(v, v))));
  }
  for (let i = body; i < n << 2; i += 4) store<f32>(y + i, relu(load<f32>(x + i)));
}

export function f32_relu_scalar(x: usize, y: usize, n: usize): void {
  for (let i: usize = 0; i < n << 2; i += 4) store<f32>(y + i, relu(load<f32>(x + i)));
}

@inline function relu(v: f32): f32 {
  return select<f32>(v, 0, v > 0 || v != v);
}
