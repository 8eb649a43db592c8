// UnsortedSegmentSum with tfjs-cpu's semantics: segment ids of shape [N, ...S] broadcast
// over x of shape [N, ...S, ...E]; out has shape [numSegments, ...S, ...E] and
//   out[s, j, e] = Σ_{r : ids[r, j] = s} x[r, j, e]      (r in order)
// Ids outside [0, numSegments) are dropped, as tfjs-cpu drops them. Rows are added with
// a 4-wide main loop and a scalar tail; f32 and i32 (wrapping) variants.

@inline function segment_sum<T>(x: usize, ids: usize, out: usize, N: i32, S: i32, E: i32, numSegments: i32, simd: bool): void {
  memory.fill(out, 0, (<usize>numSegments * S * E) << 2);
  const rowBytes = <usize>E << 2;
  const body = simd ? (<usize>E & ~3) << 2 : 0;
  for (let r = 0; r < N; r++) {
    for (let j = 0; j < S; j++) {
      const s = load<i32>(ids + ((<usize>r * S + j) << 2));
      if (s < 0 || s >= numSegments) continue;
      const src = x + <usize>(r * S + j) * rowBytes, dst = out + <usize>(s * S + j) * rowBytes;
      for (let i: usize = 0; i < body; i += 16) {
        if (isFloat<T>()) v128.store(dst + i, f32x4.add(v128.load(dst + i), v128.load(src + i)));
        else v128.store(dst + i, i32x4.add(v128.load(dst + i), v128.load(src + i)));
      }
      for (let i = body; i < rowBytes; i += 4) store<T>(dst + i, load<T>(dst + i) + load<T>(src + i));
    }
  }
}

export function f32_unsorted_segment_sum_simd(x: usize, ids: usize, out: usize, N: i32, S: i32, E: i32, numSegments: i32): void {
  segment_sum<f32>(x, ids, out, N, S, E, numSegments, true);
}

export function f32_unsorted_segment_sum_scalar(x: usize, ids: usize, out: usize, N: i32, S: i32, E: i32, numSegments: i32): void {
  segment_sum<f32>(x, ids, out, N, S, E, numSegments, false);
}

export function i32_unsorted_segment_sum_simd(x: usize, ids: usize, out: usize, N: i32, S: i32, E: i32, numSegments: i32): void {
  segment_sum<i32>(x, ids, out, N, S, E, numSegments, true);
}

export function i32_unsorted_segment_sum_scalar(x: usize, ids: usize, out: usize, N: i32, S: i32, E: i32, numSegments: i32): void {
  segment_sum<i32>(x, ids, out, N, S, E, numSegments, false);
}
