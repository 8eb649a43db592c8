// ready({ wasmBinary }): is the given module tfjs-backend-wasm's single-threaded build?
// A valid module of another kind does not fail cleanly inside tfjs-backend-wasm's
// Emscripten glue: an unrelated module (no exported memory) or the threaded build (it
// imports a shared memory and thread functions) makes the glue's instantiation throw in a
// promise nobody awaits, so the backend never settles — a page waits forever, and Node
// dies by the glue's own rethrowing listener. The module's imports and exports are read
// from its bytes (the import and export sections; no compile, so it also runs on a
// browser's main thread) and checked against what every 4.x single-threaded build has:
// function imports from 'env' and 'wasi_snapshot_preview1' only, and the exports
// 'memory', '__indirect_function_table' and 'init'.

export interface WasmInterface {
  imports: { module: string; name: string; kind: WasmKind }[];
  exports: { name: string; kind: WasmKind }[];
}
export type WasmKind = 'function' | 'table' | 'memory' | 'global' | 'tag';
const KINDS: WasmKind[] = ['function', 'table', 'memory', 'global', 'tag'];

/** The import and export sections of a module that WebAssembly.validate accepted. */
export function wasmInterface(bytes: Uint8Array): WasmInterface {
  let at = 8; // magic and version
  const u32 = (): number => {
    let value = 0, shift = 0, byte: number;
    do { byte = bytes[at++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    return value;
  };
  const text = (): string => { const n = u32(); const s = new TextDecoder().decode(bytes.subarray(at, at + n)); at += n; return s; };
  const limits = (): void => { const flags = bytes[at++]; u32(); if (flags & 1) u32(); };
  const found: WasmInterface = { imports: [], exports: [] };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = u32();
    const end = at + size;
    if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        const module = text(), name = text(), kind = bytes[at++];
        if (kind === 0) u32(); // type index
        else if (kind === 1) { at++; limits(); } // reference type, limits
        else if (kind === 2) limits();
        else if (kind === 3) at += 2; // value type, mutability
        else if (kind === 4) { at++; u32(); } // tag: attribute, type index
        found.imports.push({ module, name, kind: KINDS[kind] });
      }
    } else if (id === 7) {
      for (let n = u32(); n > 0; n--) {
        const name = text(), kind = bytes[at++];
        u32(); // index
        found.exports.push({ name, kind: KINDS[kind] });
      }
    }
    at = end;
  }
  return found;
}

/** Why `bytes` cannot be tfjs-backend-wasm's single-threaded build, or null when it can. */
export function notTfjsWasmBinary(bytes: Uint8Array): string | null {
  const { imports, exports } = wasmInterface(bytes);
  if (imports.some((i) => i.kind === 'memory')) {
    return "it imports its memory, as tfjs-backend-wasm's threaded build (tfjs-backend-wasm-threaded-simd.wasm) does: give the single-threaded tfjs-backend-wasm-simd.wasm (ready({ threads }) starts the threaded build itself)";
  }
  const foreign = imports.find((i) => i.kind !== 'function' || (i.module !== 'env' && i.module !== 'wasi_snapshot_preview1'));
  if (foreign) return `it imports ${foreign.module}.${foreign.name} (a ${foreign.kind}), which tfjs-backend-wasm's glue does not provide`;
  const has = (name: string, kind: WasmKind) => exports.some((e) => e.name === name && e.kind === kind);
  const missing = ([['memory', 'memory'], ['__indirect_function_table', 'table'], ['init', 'function']] as const).filter(([n, k]) => !has(n, k));
  if (missing.length > 0) return `it does not export ${missing.map(([n, k]) => `'${n}' (a ${k})`).join(', ')}, as every tfjs-backend-wasm build does`;
  return null;
}
