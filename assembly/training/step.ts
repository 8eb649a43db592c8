// tfjs-wasm's Step, as the ReLU gradient's mask: 1 where x > 0, x itself where x is NaN,
// else 0. Shared by ./relu_grad.ts and ./max_pool_relu_grad.ts (not a module export).

/** step(x) on 4 lanes: 1 where x > 0, x itself where NaN, else 0. */
@inline export function step4(v: v128, one: v128, zero: v128): v128 {
  return v128.bitselect(v, v128.bitselect(one, zero, f32x4.gt(v, zero)), f32x4.ne(v, v));
}

@inline export function step_of(x: f32): f32 {
  return isNaN(x) ? x : x > 0 ? 1 : 0;
}
