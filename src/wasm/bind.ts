// Binding a kernel module. Each kernel's parameters are defined in one place, its
// AssemblyScript export; scripts/build.mjs generates src/wasm/<module>_exports.ts from it
// (asc --bindings): an interface that tsc checks every call site in src/ against, and a
// table of parameter names. bindModule() checks the compiled module against that table,
// so a module that does not match its generated table (an export missing, added, or with
// another number of parameters: a wasm function's .length) fails where it is bound,
// naming the export, not later with an argument silently undefined. pickVariant() then
// chooses SIMD or scalar once, for the whole module.
// Both kernel modules bind through here: build/optimizer.wasm (src/core/kernels.ts) and
// build/training.wasm (src/kernels/training_module.ts).

/** A module's generated table: each function's parameter names in order, each global's type. */
export type Signatures = Readonly<Record<string, readonly string[] | string>>;

export type KernelVariant = 'simd' | 'scalar';

/**
 * The kernels of one variant, named by family: f32_x for f32_x_simd or f32_x_scalar;
 * exports without twins keep their names; exported globals become their values.
 */
export type Variant<E> = {
  readonly [K in keyof E as K extends `${string}_scalar` ? never : K extends `${infer Family}_simd` ? Family : K]:
    E[K] extends WebAssembly.Global ? number : E[K];
};

/** Instantiates a kernel module on `memory` and checks its exports against their signatures. */
export function bindModule<E>(module: WebAssembly.Module, memory: WebAssembly.Memory, signatures: Signatures, file: string): E {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const problems: string[] = [];
  for (const [name, signature] of Object.entries(signatures)) {
    const value = exports[name];
    if (value === undefined) problems.push(`${name} is not exported`);
    else if (typeof signature === 'string') {
      if (!(value instanceof WebAssembly.Global)) problems.push(`${name} should be a global of type ${signature}`);
    } else if (typeof value !== 'function') problems.push(`${name} should be a function`);
    else if (value.length !== signature.length) {
      problems.push(`${name} takes ${value.length} parameters, its signature names ${signature.length} (${signature.join(', ')})`);
    }
  }
  for (const name of Object.keys(exports)) if (!(name in signatures)) problems.push(`${name} has no signature`);
  if (problems.length > 0) {
    throw new Error(`${file} does not match src/wasm/ (rebuild with node scripts/build.mjs): ${problems.join('; ')}`);
  }
  return exports as unknown as E;
}

/** The `variant` twin of each kernel family (checked to take the same parameters as the other twin). */
export function pickVariant<E>(exports: E, signatures: Signatures, variant: KernelVariant): Variant<E> {
  if (variant !== 'simd' && variant !== 'scalar') throw new RangeError(`kernel variant must be 'simd' or 'scalar', got ${String(variant)}`);
  const all = exports as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const name of Object.keys(signatures)) {
    const twin = /^(.*)_(simd|scalar)$/.exec(name);
    if (!twin) {
      picked[name] = all[name] instanceof WebAssembly.Global ? (all[name] as WebAssembly.Global).value : all[name];
      continue;
    }
    const [, family, which] = twin;
    const other = `${family}_${which === 'simd' ? 'scalar' : 'simd'}`;
    if (String(signatures[other]) !== String(signatures[name])) {
      throw new Error(`${name} has no ${which === 'simd' ? 'scalar' : 'SIMD'} twin with the same parameters`);
    }
    if (which === variant) picked[family] = all[name];
  }
  return picked as Variant<E>;
}
