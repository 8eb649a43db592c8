// Which output positions o of a conv touch input position i = o·s − pad + k·d, for one
// filter tap k: the half-open range [first, end) of o with 0 ≤ i < size, clamped to
// [0, outSize). Computing the range once per tap keeps bounds checks out of inner loops.

@inline export function first_out(pad: i32, k: i32, d: i32, s: i32): i32 {
  const t = pad - k * d;
  return t <= 0 ? 0 : (t + s - 1) / s;
}

@inline export function end_out(size: i32, pad: i32, k: i32, d: i32, s: i32, outSize: i32): i32 {
  const t = size - 1 + pad - k * d;
  if (t < 0) return 0;
  const e = t / s + 1;
  return e < outSize ? e : outSize;
}
