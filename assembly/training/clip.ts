// ClipByValue, float32: out = x < lo ? lo : (x > hi ? hi : x), so NaN stays NaN, as on
// tfjs-backend-cpu. (tfjs-wasm 4.22 clips NaN to lo: a diverged model's predictions,
// clipped inside tfjs-layers' cross-entropy, then gave a finite loss.)
// f32x4.pmax(x, lo) is x < lo ? lo : x and f32x4.pmin(y, hi) is hi < y ? hi : y: both
// keep their first operand when the comparison is false, which NaN makes it.

export function f32_clip_simd(x: usize, out: usize, n: usize, lo: f32, hi: f32): void {
  const l = f32x4.splat(lo), h = f32x4.splat(hi);
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) v128.store(out + i, f32x4.pmin(f32x4.pmax(v128.load(x + i), l), h));
  for (let i = body; i < n << 2; i += 4) store<f32>(out + i, clip_one(load<f32>(x + i), lo, hi));
}

export function f32_clip_scalar(x: usize, out: usize, n: usize, lo: f32, hi: f32): void {
  for (let i: usize = 0; i < n << 2; i += 4) store<f32>(out + i, clip_one(load<f32>(x + i), lo, hi));
}

@inline function clip_one(x: f32, lo: f32, hi: f32): f32 {
  const y = x < lo ? lo : x;
  return hi < y ? hi : y;
}
