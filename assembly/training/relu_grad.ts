// The ReLU gradient in one pass: dx = dy · step(x), where step(x) is tfjs-wasm's Step
// (x > 0 ? 1 : 0, and x itself when x is NaN). tfjs-core computes it as three kernels —
// Step, Cast, Multiply — each a pass over the activation; this is the same float32
// multiply per element, so the same bits (including −0 for dy < 0 and NaN for ±Inf · 0).
import { step4, step_of } from './step';

export function f32_relu_grad_simd(dy: usize, x: usize, out: usize, n: usize): void {
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  const body = (n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    v128.store(out + i, f32x4.mul(v128.load(dy + i), step4(v128.load(x + i), one, zero)));
  }
  for (let i = body; i < n << 2; i += 4) store<f32>(out + i, load<f32>(dy + i) * step_of(load<f32>(x + i)));
}

export function f32_relu_grad_scalar(dy: usize, x: usize, out: usize, n: usize): void {
  for (let i: usize = 0; i < n << 2; i += 4) store<f32>(out + i, load<f32>(dy + i) * step_of(load<f32>(x + i)));
}
