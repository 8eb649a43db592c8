// The kernel-parameter mechanism (src/wasm/bind.ts): the generated tables name every
// export of both kernel modules with the AssemblyScript source's parameters, in order;
// binding a module that does not match its table fails, naming the export; every _simd
// kernel has a _scalar twin with the same parameters; and a call with an argument too
// few or too many fails in the tests (support/strict_kernels.mjs).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { bundleTest, root } from './tfjs-core-ops/bundle.mjs';
import { strictKernels } from './support/strict_kernels.mjs';

const file = await bundleTest('kernel_binding', `
export { bindModule, pickVariant } from './src/wasm/bind.ts';
export { OPTIMIZER_EXPORTS } from './src/wasm/optimizer_exports.ts';
export { TRAINING_EXPORTS } from './src/wasm/training_exports.ts';
`);
const { bindModule, pickVariant, OPTIMIZER_EXPORTS, TRAINING_EXPORTS } = await import(file);

const MODULES = {
  optimizer: { table: OPTIMIZER_EXPORTS, wasm: new WebAssembly.Module(readFileSync(join(root, 'build/optimizer.wasm'))) },
  training: { table: TRAINING_EXPORTS, wasm: new WebAssembly.Module(readFileSync(join(root, 'build/training.wasm'))) },
};
const memory = new WebAssembly.Memory({ initial: 1 });

/** The exports of assembly/<module>/index.ts read from the AssemblyScript source: function → parameter names, global → type. */
function sourceExports(path, only) {
  const text = readFileSync(path, 'utf8');
  const out = {};
  for (const [, from] of text.matchAll(/^export \* from '(\.[^']+)';/gm)) Object.assign(out, sourceExports(join(dirname(path), `${from}.ts`)));
  for (const [, names, from] of text.matchAll(/^export \{([^}]*)\} from '(\.[^']+)';/gm)) {
    Object.assign(out, sourceExports(join(dirname(path), `${from}.ts`), names.split(',').map((n) => n.trim())));
  }
  for (const [, inline, name, params] of text.matchAll(/^(@inline )?export function (\w+)\(([^)]*)\)/gm)) {
    if (!inline && (!only || only.includes(name))) out[name] = params.split(',').map((p) => p.trim()).filter(Boolean).map((p) => p.split(':')[0].trim());
  }
  for (const [, decl] of text.matchAll(/^export const ([^;]+);/gm)) {
    for (const [, name, type] of decl.matchAll(/(\w+): (\w+) =/g)) if (!only || only.includes(name)) out[name] = type;
  }
  return out;
}

const s = suite('kernel binding');

for (const [name, { table, wasm }] of Object.entries(MODULES)) {
  s(`${name}: the generated table is the AssemblyScript source's exports, parameters in order`, () => {
    const fromSource = sourceExports(join(root, 'assembly', name, 'index.ts'));
    assert.equal(Object.keys(table).sort(), Object.keys(fromSource).sort(), 'the same exports');
    for (const [k, v] of Object.entries(fromSource)) assert.equal(table[k], v, k);
  });

  s(`${name}: the module binds, and each function takes as many arguments as its table names`, () => {
    const exports = bindModule(wasm, memory, table, `build/${name}.wasm`);
    for (const [k, sig] of Object.entries(table)) if (typeof sig !== 'string') assert.is(exports[k].length, sig.length, k);
  });

  s(`${name}: every _simd kernel has a _scalar twin with the same parameters; pickVariant names them by family`, () => {
    const exports = bindModule(wasm, memory, table, `build/${name}.wasm`);
    const simd = pickVariant(exports, table, 'simd'), scalar = pickVariant(exports, table, 'scalar');
    for (const k of Object.keys(table).filter((k) => k.endsWith('_simd'))) {
      const family = k.slice(0, -'_simd'.length);
      assert.is(simd[family], exports[k], k);
      assert.is(scalar[family], exports[`${family}_scalar`], `${family}_scalar`);
    }
  });
}

s('a module that does not match its table is refused where it is bound, naming the export', () => {
  const { table, wasm } = MODULES.optimizer;
  const bind = (t) => { try { bindModule(wasm, memory, t, 'build/optimizer.wasm'); return null; } catch (e) { return e.message; } };
  const dropped = { ...table, f32_adamw_update_simd: table.f32_adamw_update_simd.slice(0, 12) };
  assert.match(bind(dropped), /f32_adamw_update_simd takes 14 parameters, its signature names 12 \(w, wold, g, m1, v, n, decay, b1, omb1, b2, omb2, eps\)/);
  const { f32_copy, ...missing } = table;
  assert.match(bind(missing), /f32_copy has no signature/);
  assert.match(bind({ ...table, f32_gone_simd: ['x'] }), /f32_gone_simd is not exported/);
  assert.match(bind({ ...table, SGD_PLAIN: ['x'] }), /SGD_PLAIN should be a function/);
  assert.match(bind(dropped), /rebuild with node scripts\/build\.mjs/);
});

s('twins that differ, and a variant that is neither, are refused', () => {
  const { table, wasm } = MODULES.optimizer;
  const exports = bindModule(wasm, memory, table, 'build/optimizer.wasm');
  const swapped = { ...table, f32_sgd_update_scalar: ['w', 'wold', 'g', 'b', 'n', 'lr', 'mu', 'wd', 'mode', 'first'] };
  assert.throws(() => pickVariant(exports, swapped, 'simd'), /f32_sgd_update_(simd|scalar) has no (scalar|SIMD) twin with the same parameters/);
  assert.throws(() => pickVariant(exports, table, 'neon'), /variant must be 'simd' or 'scalar', got neon/);
});

s('a kernel test calling with an argument too few fails (the 12-argument AdamW call this caught)', () => {
  const { table, wasm } = MODULES.optimizer;
  const kernels = strictKernels(pickVariant(bindModule(wasm, memory, table, 'build/optimizer.wasm'), table, 'simd'));
  assert.throws(() => kernels.f32_adamw_update(64, 64, 64, 64, 64, 0, 0.99, 0.9, 0.999, 1e-8, 1e-3, 0.5), /f32_adamw_update takes 14 arguments, got 12/);
  assert.throws(() => kernels.f32_copy(64, 128, undefined), /f32_copy: argument 3 is undefined/);
  kernels.f32_copy(64, 128, 0);
  assert.is(kernels.SGD_NESTEROV, 2);
});

s.run();
