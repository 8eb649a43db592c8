// Child process of test/fuse_memory_passes.test.mjs (ready() takes threads once per
// process): at 2 threads, recorded conv-block passes run unfused and fused
// (src/replay/fuse_memory_passes.ts), each with calls whole (split threshold ∞) and cut
// into as many chunks as they can be (threshold 0): all four must give the same bits.
// Prints one JSON line: { threads, passes, splitCalls, mismatches }.
import { ready, tf, setKernelSplitThreshold, wasmThreads } from '../../dist/fsam-edge.js';
import { bundleTest } from '../tfjs-core-ops/bundle.mjs';
import { studyChainPass, feedsFor, runPass, firstDifference } from './recorded_passes.mjs';

const report = await ready({ threads: 2 });
const { fuseMemoryPasses } = await import(await bundleTest('fuse_passes_threads',
  "export { fuseMemoryPasses } from './src/replay/fuse_memory_passes.ts';"));
const mismatches = [];
let passes = 0;
for (const shape of [{ B: 8, H: 28, W: 28, CI: 1, C1: 8, C2: 16 }, { B: 5, H: 11, W: 13, CI: 3, C1: 3, C2: 5, sumOfReshape: true },
  { B: 3, H: 8, W: 8, CI: 16, C1: 16, C2: 8 }]) {
  const { pass } = studyChainPass(shape);
  const fused = fuseMemoryPasses(pass);
  for (const special of [[], [NaN, Infinity, -Infinity, -0]]) {
    const feeds = feedsFor(pass, 11, special);
    setKernelSplitThreshold(Infinity);
    const base = runPass(tf, pass, feeds);
    for (const [label, p, threshold] of [['fused whole', fused, Infinity], ['unfused split', pass, 0], ['fused split', fused, 0]]) {
      setKernelSplitThreshold(threshold);
      const d = firstDifference(base, runPass(tf, p, feeds), { nanAsOne: special.length > 0 });
      if (d) mismatches.push(`${JSON.stringify(shape)} ${label}${special.length ? ' (NaN/Inf)' : ''}: ${d}`);
    }
    passes++;
  }
}
console.log(JSON.stringify({ threads: report.wasm.threads, passes, splitCalls: wasmThreads().splitKernelCalls, mismatches }));
