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

// A pooling window along one axis starts at `corner` (= o·s − pad) and takes the positions
// corner + j·d for j < f: the first of them inside the input, and the end (exclusive) of
// those below `size`. The positions inside are window_first, + d, … below window_end.

@inline export function window_first(corner: i32, d: i32): i32 {
  let p = corner;
  while (p < 0) p += d;
  return p;
}

@inline export function window_end(corner: i32, f: i32, d: i32, size: i32): i32 {
  const e = corner + (f - 1) * d + 1;
  return e < size ? e : size;
}
