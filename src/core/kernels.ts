// The optimizer kernels (assembly/optimizer), instantiated on a given memory: the
// arena's own, or tfjs-wasm's heap. The module has no data segment and never touches
// memory it is not pointed at. `variant` picks the SIMD kernels or their scalar twins.
import optimizerWasm from '../../build/optimizer.wasm';

export interface OptimizerKernels {
  fsamSumsq(g: number, m: number, w: number, n: number, sigma: number, adaptive: boolean): number;
  samSumsq(g: number, w: number, n: number, adaptive: boolean): number;
  fsamPerturb(w: number, wold: number, g: number, m: number, n: number, sigma: number, scale: number, adaptive: boolean): void;
  samPerturb(w: number, wold: number, g: number, n: number, scale: number, adaptive: boolean): void;
  ema(m: number, g: number, n: number, lambda: number, oneMinusLambda: number): void;
  copy(dst: number, src: number, n: number): void;
  firstNonFinite(x: number, n: number): number;
  sgdUpdate(w: number, wold: number, g: number, b: number, n: number, lr: number, wd: number, mu: number, mode: number, first: boolean): void;
  adamwUpdate(w: number, wold: number, g: number, m1: number, v: number, n: number, decay: number, b1: number, omb1: number, b2: number,
    omb2: number, eps: number, stepSize: number, bc2sqrt: number): void;
  triad(a: number, b: number, c: number, n: number, s: number): void;
  // Low-memory mode: m and the momentum buffer in bf16 (2 bytes), no w_old.
  fsamSumsqBf16m(g: number, m16: number, n: number, sigma: number): number;
  fsamPerturbBf16m(w: number, g: number, m16: number, n: number, sigma: number, scale: number): void;
  fsamUnperturbBf16m(w: number, g: number, m16: number, n: number, sigma: number, scale: number): void;
  samUnperturb(w: number, g: number, n: number, scale: number): void;
  emaBf16m(m16: number, g: number, n: number, lambda: number, oneMinusLambda: number): void;
  toBf16(dst16: number, src: number, n: number): void;
  sgdUpdateBf16b(w: number, g: number, b16: number, n: number, lr: number, wd: number, mu: number, mode: number, first: boolean): void;
}

export type KernelVariant = 'simd' | 'scalar';

let compiled: Promise<WebAssembly.Module> | undefined;
let compiledModule: WebAssembly.Module | undefined;

/** Compiles the kernel module once (async: browsers refuse large synchronous compiles). */
export function compileOptimizerKernels(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(optimizerWasm as Uint8Array<ArrayBuffer>).then((m) => (compiledModule = m));
  return compiled;
}

/** The compiled module, for synchronous callers after compileOptimizerKernels() resolved. */
export function compiledOptimizerKernels(): WebAssembly.Module {
  if (!compiledModule) throw new Error('fsam-edge is not ready: await ready() before the first optimizer step');
  return compiledModule;
}

export async function loadOptimizerKernels(memory: WebAssembly.Memory, variant: KernelVariant = 'simd'): Promise<OptimizerKernels> {
  return bindOptimizerKernels(await compileOptimizerKernels(), memory, variant);
}

export function bindOptimizerKernels(module: WebAssembly.Module, memory: WebAssembly.Memory, variant: KernelVariant = 'simd'): OptimizerKernels {
  if (variant !== 'simd' && variant !== 'scalar') throw new RangeError(`kernel variant must be 'simd' or 'scalar', got ${variant}`);
  const e = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, CallableFunction>;
  const v = (name: string) => e[`${name}_${variant}`] as never;
  return {
    fsamSumsq: v('f32_fsam_sumsq'),
    samSumsq: v('f32_sam_sumsq'),
    fsamPerturb: v('f32_fsam_perturb'),
    samPerturb: v('f32_sam_perturb'),
    ema: v('f32_fsam_ema'),
    copy: e.f32_copy as never,
    firstNonFinite: v('f32_first_nonfinite'),
    sgdUpdate: v('f32_sgd_update'),
    adamwUpdate: v('f32_adamw_update'),
    triad: e.f32_triad_simd as never,
    fsamSumsqBf16m: v('f32_fsam_sumsq_bf16m'),
    fsamPerturbBf16m: v('f32_fsam_perturb_bf16m'),
    fsamUnperturbBf16m: v('f32_fsam_unperturb_bf16m'),
    samUnperturb: v('f32_sam_unperturb'),
    emaBf16m: v('f32_fsam_ema_bf16m'),
    toBf16: v('f32_to_bf16'),
    sgdUpdateBf16b: v('f32_sgd_update_bf16b'),
  };
}
