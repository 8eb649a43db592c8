// Preloaded with `node --import` into a CLI process: watches tfjs-wasm's heap
// (bench/wasm_heap.mjs) and, with FSAM_EDGE_TEST_WASM_CAP=<bytes>, caps it as the memory
// benchmark does (the binary's memory maximum; malloc fails past it). At exit it writes
// one line to stderr: `wasm-heap {"highWater":…,"memoryBytes":…,"maxRSS":…}`.
import { watchWasmHeap } from '../../bench/wasm_heap.mjs';

const cap = process.env.FSAM_EDGE_TEST_WASM_CAP;
const heap = watchWasmHeap(cap ? { capBytes: Number(cap) } : {});
process.on('exit', () => {
  if (!heap.memory) return;
  const line = { highWater: heap.highWater(), memoryBytes: heap.memory.buffer.byteLength, maxRSS: process.resourceUsage().maxRSS * 1024 };
  process.stderr.write(`wasm-heap ${JSON.stringify(line)}\n`);
});
