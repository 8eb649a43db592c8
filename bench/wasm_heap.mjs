// tfjs-wasm's heap, watched from outside the library: how high it went, and a hard cap on
// it. Call watchWasmHeap() before fsam-edge's ready() (it hooks WebAssembly.instantiate
// and acts on tfjs-backend-wasm's binary only, recognized by its Emscripten imports).
//
//  - High water: Emscripten's malloc takes memory from sbrk, whose break only ever rises
//    (measured: freeing a 40 MiB block leaves it where it was). The break, not the size
//    of the WebAssembly.Memory, is what the run needed: the memory grows ahead of it (by
//    20% of its size per growth, Emscripten's policy), and the break then moves into
//    that slack without asking. The break sits in a static word of the binary, found in
//    a throwaway instance of it (locateBreak).
//  - Cap: the binary's memory maximum (and its initial size, if larger) is rewritten to
//    the cap, so memory.grow fails past it, as on a device that has no more to give;
//    tfjs-wasm does not check malloc's result, so malloc called from JavaScript throws
//    on 0 instead of handing out address 0. (Emscripten grows by at least 5% of the
//    current size, so a run whose break stays under cap/1.05 always fits; above that, it
//    depends on the order of growths.)
//  - Live bytes (trackLive): the bytes of the blocks malloc'd from JavaScript (tensor
//    data, fsam-edge's arena and scratch) and not yet freed, and their peak; blocks
//    tfjs-wasm's C++ allocates for itself are not seen.
// Used by bench/memory_footprint.mjs, bench/memory_plan.mjs and the CLI's memory tests.

const PAGE = 65536;

export function watchWasmHeap({ capBytes, trackLive = false } = {}) {
  const state = { memory: null, exports: null, resizes: [], capBytes: capBytes ?? null, breakAt: -1, live: 0, livePeak: 0, sizes: new Map() };
  const instantiate = WebAssembly.instantiate.bind(WebAssembly);
  WebAssembly.instantiate = async (source, imports) => {
    if (!imports?.env?.emscripten_resize_heap || !(source instanceof ArrayBuffer || ArrayBuffer.isView(source))) return instantiate(source, imports);
    const grow = imports.env.emscripten_resize_heap;
    imports.env.emscripten_resize_heap = (requested) => {
      state.resizes.push(requested >>> 0);
      return grow(requested);
    };
    let bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    state.breakAt = locateBreak(bytes);
    if (capBytes != null) bytes = withMemoryLimit(bytes, Math.floor(capBytes / PAGE));
    const result = await instantiate(bytes, imports);
    const raw = result.instance.exports;
    state.memory = raw.memory;
    state.exports = raw;
    const malloc = raw.malloc, free = raw.free;
    const exports = {
      ...raw,
      malloc(n) {
        const p = malloc(n);
        if (p === 0 && n > 0) throw new RangeError(`wasm heap exhausted: malloc(${n}) failed under a cap of ${capBytes} bytes`);
        if (trackLive) {
          state.sizes.set(p >>> 0, n);
          state.live += n;
          state.livePeak = Math.max(state.livePeak, state.live);
        }
        return p;
      },
      free(p) {
        if (trackLive) {
          const n = state.sizes.get(p >>> 0);
          if (n !== undefined) { state.live -= n; state.sizes.delete(p >>> 0); }
        }
        return free(p);
      },
    };
    return { module: result.module, instance: { exports } };
  };
  return {
    /** tfjs-wasm's WebAssembly.Memory (after ready()). */
    get memory() { return state.memory; },
    get resizes() { return state.resizes; },
    /** The highest the heap's break has been: the bytes of wasm memory the run needed so far. */
    highWater() { return readBreak(state); },
    /** trackLive: bytes malloc'd from JavaScript and not freed, now and at their peak since resetPeak(). */
    get live() { return state.live; },
    get livePeak() { return state.livePeak; },
    resetPeak() { state.livePeak = state.live; },
  };
}

function readBreak(state) {
  if (!state.memory) throw new Error('tfjs-backend-wasm has not been instantiated (call watchWasmHeap() before ready())');
  return new Uint32Array(state.memory.buffer, state.breakAt, 1)[0];
}

/**
 * The byte address of the static word that holds sbrk's break in this binary: found in a
 * throwaway instance of it (its own memory, stub imports), as the one word below the heap that changes to
 * exactly what a growth asks for when its malloc is made to grow the memory.
 */
function locateBreak(bytes) {
  const module = new WebAssembly.Module(bytes);
  let memory;
  const asked = [];
  const env = {
    emscripten_resize_heap(requested) {
      asked.push(requested >>> 0);
      try { memory.grow(Math.ceil(((requested >>> 0) - memory.buffer.byteLength) / PAGE)); return 1; } catch { return 0; }
    },
    emscripten_memcpy_big(dst, src, n) { new Uint8Array(memory.buffer).copyWithin(dst, src, src + n); },
    emscripten_get_heap_max: () => 2 ** 31,
  };
  const imports = {};
  for (const { module: m, name } of WebAssembly.Module.imports(module)) {
    (imports[m] ??= {})[name] = env[name] ?? (() => 0);
  }
  const instance = new WebAssembly.Instance(module, imports);
  memory = instance.exports.memory;
  // The static data lies below the heap, which starts at the first block malloc gives.
  const heapStart = instance.exports.malloc(16) >>> 0;
  const words = () => new Uint32Array(memory.buffer, 0, Math.floor(heapStart / 64) * 16);
  const before = words().slice();
  instance.exports.malloc(memory.buffer.byteLength);
  const now = words(), hits = [];
  for (let i = 0; i < now.length; i++) if (asked.length === 1 && now[i] === asked[0] && before[i] !== now[i]) hits.push(i * 4);
  if (hits.length !== 1) throw new Error(`cannot locate the heap's break in tfjs-wasm's binary (${hits.length} candidates)`);
  return hits[0];
}

/** The binary with its one memory's maximum set to `maxPages` (and its initial size to at most that); other bytes unchanged. */
export function withMemoryLimit(bytes, maxPages) {
  const b = bytes;
  const leb = (i) => { let r = 0, s = 0, x; do { x = b[i++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80); return [r, i]; };
  const enc = (v) => { const out = []; do { let x = v & 0x7f; v = Math.floor(v / 128); if (v) x |= 0x80; out.push(x); } while (v); return out; };
  let i = 8;
  while (i < b.length) {
    const id = b[i];
    const [size, body] = leb(i + 1);
    if (id === 5) {
      const [count, at] = leb(body);
      if (count !== 1 || !(b[at] & 1)) throw new Error('expected one memory with a maximum');
      const [min, afterMin] = leb(at + 1);
      const [, end] = leb(afterMin);
      const section = [...enc(1), b[at], ...enc(Math.min(min, maxPages)), ...enc(maxPages)];
      const rest = b.subarray(end, body + size);
      const head = enc(section.length + rest.length);
      const out = new Uint8Array(i + 1 + head.length + section.length + rest.length + (b.length - body - size));
      let o = 0;
      const put = (a) => { out.set(a, o); o += a.length; };
      put(b.subarray(0, i + 1)); put(head); put(section); put(rest); put(b.subarray(body + size));
      return out;
    }
    i = body + size;
  }
  throw new Error('no memory section');
}
