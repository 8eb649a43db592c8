export { tf } from './tf';
export { ready } from './ready';
export { wasmMemory, tensorOffset } from './backend/wasm_backend';
export { layers } from './layers';
