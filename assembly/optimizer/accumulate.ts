// Gradient accumulation over k micro-batches (the `accumulate` option): the first
// micro-batch's gradient is scaled into a slab, each later one added to it,
//   G = s·g₀,   G = G + s·gᵢ   (i = 1 … k−1),   s = 1/k,
// so G is the mean of the micro-batch gradients: the whole batch's gradient when each
// micro-batch's loss is a mean over it. (s·g is exact for k a power of two.)

export function f32_scaled_copy_simd(dst: usize, src: usize, n: usize, s: f32): void {
  const sv = f32x4.splat(s);
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) v128.store(dst + i, f32x4.mul(sv, v128.load(src + i)));
  for (let i = body; i < n << 2; i += 4) store<f32>(dst + i, s * load<f32>(src + i));
}

export function f32_scaled_copy_scalar(dst: usize, src: usize, n: usize, s: f32): void {
  for (let i: usize = 0; i < n << 2; i += 4) store<f32>(dst + i, s * load<f32>(src + i));
}

export function f32_accumulate_simd(acc: usize, g: usize, n: usize, s: f32): void {
  const sv = f32x4.splat(s);
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) v128.store(acc + i, f32x4.add(v128.load(acc + i), f32x4.mul(sv, v128.load(g + i))));
  for (let i = body; i < n << 2; i += 4) store<f32>(acc + i, load<f32>(acc + i) + s * load<f32>(g + i));
}

export function f32_accumulate_scalar(acc: usize, g: usize, n: usize, s: f32): void {
  for (let i: usize = 0; i < n << 2; i += 4) store<f32>(acc + i, load<f32>(acc + i) + s * load<f32>(g + i));
}
