// Stands in for tfjs-backend-wasm's threaded build and its worker source, which the
// bundles leave out (see scripts/build.mjs): ready() never selects that build.
export default function threadedSimdWasmFactory(): never {
  throw new Error('fsam-edge bundles only the SIMD build of tfjs-backend-wasm, not its threaded build');
}
export const wasmWorkerContents = '';
