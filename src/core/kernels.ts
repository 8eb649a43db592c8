// The optimizer kernels (assembly/optimizer), instantiated on a given memory: the
// arena's own, or tfjs-wasm's heap. The module has no data segment and never touches
// memory it is not pointed at. `variant` picks the SIMD kernels or their scalar twins,
// once for all calls. Their parameters are the AssemblyScript exports' own
// (src/wasm/optimizer_exports.ts, generated), checked when the module is bound.
import optimizerWasm from '../../build/optimizer.wasm';
import { bindModule, pickVariant, type KernelVariant, type Variant } from '../wasm/bind';
import { OPTIMIZER_EXPORTS, type OptimizerExports } from '../wasm/optimizer_exports';

/** The kernel families of one variant, e.g. f32_fsam_sumsq(g, m, w, n, sigma, adaptive), and SGD_* modes. */
export type OptimizerKernels = Variant<OptimizerExports>;
export type { KernelVariant };

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
  const exports = bindModule<OptimizerExports>(module, memory, OPTIMIZER_EXPORTS, 'build/optimizer.wasm');
  return pickVariant(exports, OPTIMIZER_EXPORTS, variant);
}
