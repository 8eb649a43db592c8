// The F-SAM full-gradient estimate: m = λ·m + (1−λ)·g, in the official code's order
// (m·λ + g·(1−λ)). It runs after the second gradient is known to be finite, so a bad
// step leaves m untouched. On the first step m = g is a plain copy (memory.copy).
import { bf16_load, bf16_store, bf16x4_load, bf16x4_store } from './bf16';

export function f32_fsam_ema_simd(m: usize, g: usize, n: usize, lambda: f32, oneMinusLambda: f32): void {
  const l = f32x4.splat(lambda), r = f32x4.splat(oneMinusLambda);
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    v128.store(m + i, f32x4.add(f32x4.mul(v128.load(m + i), l), f32x4.mul(v128.load(g + i), r)));
  }
  for (let i = body; i < n << 2; i += 4) {
    store<f32>(m + i, load<f32>(m + i) * lambda + load<f32>(g + i) * oneMinusLambda);
  }
}

export function f32_fsam_ema_scalar(m: usize, g: usize, n: usize, lambda: f32, oneMinusLambda: f32): void {
  for (let i: usize = 0; i < n << 2; i += 4) {
    store<f32>(m + i, load<f32>(m + i) * lambda + load<f32>(g + i) * oneMinusLambda);
  }
}

/** m = g on the first F-SAM step. */
export function f32_copy(dst: usize, src: usize, n: usize): void {
  memory.copy(dst, src, n << 2);
}

/** Low-memory mode: the same EMA with m in bf16 — decoded, updated in f32, re-rounded. */
export function f32_fsam_ema_bf16m_simd(m: usize, g: usize, n: usize, lambda: f32, oneMinusLambda: f32): void {
  const l = f32x4.splat(lambda), r = f32x4.splat(oneMinusLambda);
  const body = n & ~3;
  for (let i: usize = 0; i < body; i += 4) {
    const mp = m + (i << 1);
    bf16x4_store(mp, f32x4.add(f32x4.mul(bf16x4_load(mp), l), f32x4.mul(v128.load(g + (i << 2)), r)));
  }
  for (let i = body; i < n; i++) ema_bf16_one(m, g, i, lambda, oneMinusLambda);
}

export function f32_fsam_ema_bf16m_scalar(m: usize, g: usize, n: usize, lambda: f32, oneMinusLambda: f32): void {
  for (let i: usize = 0; i < n; i++) ema_bf16_one(m, g, i, lambda, oneMinusLambda);
}

@inline function ema_bf16_one(m: usize, g: usize, i: usize, lambda: f32, oneMinusLambda: f32): void {
  const mp = m + (i << 1);
  bf16_store(mp, bf16_load(mp) * lambda + load<f32>(g + (i << 2)) * oneMinusLambda);
}
