// Does this engine run WebAssembly SIMD? A 1-function module that uses v128 either
// validates or not. fsam-edge's kernels and tfjs's binary both need it.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0,
  65, 0, 253, 15, 253, 98, 11,
]);

export function hasWasmSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

export class WasmSimdUnsupportedError extends Error {
  constructor() {
    super('fsam-edge needs WebAssembly SIMD (Node >= 16.4, Deno, Chrome >= 91, Firefox >= 89, ' +
      'Safari >= 16.4); this engine does not validate SIMD instructions');
    this.name = 'WasmSimdUnsupportedError';
  }
}
