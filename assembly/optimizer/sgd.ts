// Restore and SGD update, PyTorch's semantics (momentum with dampening 0, coupled
// weight decay):  w = w_old;  p = g₂ + wd·w;  b = p (first step) or μ·b + p;
// p = p + μ·b (nesterov) or b;  w = w − lr·p.
// With w_old == w the restore is a no-op: the same kernel is plain SGD.
// The _bf16b kernels keep the momentum buffer b in bf16 (low-memory mode): b is decoded,
// updated in f32, and the f32 value steps w before b is stored rounded.
import { bf16_load, bf16_store, bf16x4_load, bf16x4_store } from './bf16';

/** The base step's kind, the `mode` argument: exported, so the TypeScript step reads them here. */
export const SGD_PLAIN: i32 = 0, SGD_MOMENTUM: i32 = 1, SGD_NESTEROV: i32 = 2;

@inline function sgd_one(w: usize, wold: usize, g: usize, b: usize, i: usize, lr: f32, wd: f32, mu: f32,
                         mode: i32, decay: bool, first: bool, half: bool): void {
  const x = load<f32>(wold + i);
  let p = load<f32>(g + i);
  if (decay) p = p + wd * x;
  if (mode != SGD_PLAIN) {
    const bn = first ? p : (half ? bf16_load(b + (i >> 1)) : load<f32>(b + i)) * mu + p;
    if (half) bf16_store(b + (i >> 1), bn);
    else store<f32>(b + i, bn);
    p = mode == SGD_NESTEROV ? p + mu * bn : bn;
  }
  store<f32>(w + i, x - lr * p);
}

@inline function sgd_simd(w: usize, wold: usize, g: usize, b: usize, n: usize, lr: f32, wd: f32, mu: f32,
                          mode: i32, decay: bool, first: bool, half: bool): void {
  const lrv = f32x4.splat(lr), wdv = f32x4.splat(wd), muv = f32x4.splat(mu);
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    const x = v128.load(wold + i);
    let p = v128.load(g + i);
    if (decay) p = f32x4.add(p, f32x4.mul(wdv, x));
    if (mode != SGD_PLAIN) {
      const bn = first ? p : f32x4.add(f32x4.mul(half ? bf16x4_load(b + (i >> 1)) : v128.load(b + i), muv), p);
      if (half) bf16x4_store(b + (i >> 1), bn);
      else v128.store(b + i, bn);
      p = mode == SGD_NESTEROV ? f32x4.add(p, f32x4.mul(muv, bn)) : bn;
    }
    v128.store(w + i, f32x4.sub(x, f32x4.mul(lrv, p)));
  }
  for (let i = body; i < n << 2; i += 4) sgd_one(w, wold, g, b, i, lr, wd, mu, mode, decay, first, half);
}

@inline function sgd_scalar(w: usize, wold: usize, g: usize, b: usize, n: usize, lr: f32, wd: f32, mu: f32,
                            mode: i32, decay: bool, first: bool, half: bool): void {
  for (let i: usize = 0; i < n << 2; i += 4) sgd_one(w, wold, g, b, i, lr, wd, mu, mode, decay, first, half);
}

// The flags pick one of ten specialised loops, so no branch runs per element.
// mode: SGD_PLAIN, SGD_MOMENTUM or SGD_NESTEROV; first: the momentum buffer's first step.
@inline function sgd(w: usize, wold: usize, g: usize, b: usize, n: usize, lr: f32, wd: f32, mu: f32,
                     mode: i32, decay: bool, first: bool, half: bool, simd: bool): void {
  if (simd) sgd_simd(w, wold, g, b, n, lr, wd, mu, mode, decay, first, half);
  else sgd_scalar(w, wold, g, b, n, lr, wd, mu, mode, decay, first, half);
}

@inline function dispatch(w: usize, wold: usize, g: usize, b: usize, n: usize, lr: f32, wd: f32, mu: f32,
                          mode: i32, first: bool, half: bool, simd: bool): void {
  const decay = wd != 0;
  if (mode == SGD_PLAIN) {
    if (decay) sgd(w, wold, g, b, n, lr, wd, mu, SGD_PLAIN, true, false, half, simd);
    else sgd(w, wold, g, b, n, lr, wd, mu, SGD_PLAIN, false, false, half, simd);
  } else if (mode == SGD_MOMENTUM) {
    if (decay) { if (first) sgd(w, wold, g, b, n, lr, wd, mu, SGD_MOMENTUM, true, true, half, simd); else sgd(w, wold, g, b, n, lr, wd, mu, SGD_MOMENTUM, true, false, half, simd); }
    else { if (first) sgd(w, wold, g, b, n, lr, wd, mu, SGD_MOMENTUM, false, true, half, simd); else sgd(w, wold, g, b, n, lr, wd, mu, SGD_MOMENTUM, false, false, half, simd); }
  } else {
    if (decay) { if (first) sgd(w, wold, g, b, n, lr, wd, mu, SGD_NESTEROV, true, true, half, simd); else sgd(w, wold, g, b, n, lr, wd, mu, SGD_NESTEROV, true, false, half, simd); }
    else { if (first) sgd(w, wold, g, b, n, lr, wd, mu, SGD_NESTEROV, false, true, half, simd); else sgd(w, wold, g, b, n, lr, wd, mu, SGD_NESTEROV, false, false, half, simd); }
  }
}

export function f32_sgd_update_simd(w: usize, wold: usize, g: usize, b: usize, n: usize, lr: f32, wd: f32, mu: f32,
                                    mode: i32, first: bool): void {
  dispatch(w, wold, g, b, n, lr, wd, mu, mode, first, false, true);
}
export function f32_sgd_update_scalar(w: usize, wold: usize, g: usize, b: usize, n: usize, lr: f32, wd: f32, mu: f32,
                                      mode: i32, first: bool): void {
  dispatch(w, wold, g, b, n, lr, wd, mu, mode, first, false, false);
}

/** SGD in place (w_old = w) with the momentum buffer b in bf16: the low-memory mode. */
export function f32_sgd_update_bf16b_simd(w: usize, g: usize, b: usize, n: usize, lr: f32, wd: f32, mu: f32,
                                          mode: i32, first: bool): void {
  dispatch(w, w, g, b, n, lr, wd, mu, mode, first, true, true);
}
export function f32_sgd_update_bf16b_scalar(w: usize, g: usize, b: usize, n: usize, lr: f32, wd: f32, mu: f32,
                                            mode: i32, first: bool): void {
  dispatch(w, w, g, b, n, lr, wd, mu, mode, first, true, false);
}
