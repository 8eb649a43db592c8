// Benchmark: the optimizer step alone (F-SAM + SGD momentum, SAM, plain SGD momentum)
// through the framework-free API, against the same F-SAM step in plain loops and the
// STREAM triad measured in the same wasm run (the memory-bandwidth roofline).
// Prints a table; writes bench/results/optimizer_step.{json,md}.
// Usage: node bench/optimizer_step.mjs [--quick]
import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { createOptimizer, loadOptimizerKernels } from '../dist/core.js';
import { plainFsamStep, plainState } from './plain_fsam.mjs';

const quick = process.argv.includes('--quick');
const SIZES = quick ? [1e4, 1e6] : [1e4, 1e5, 1e6, 4e6];
const H = { learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4, rho: 0.05, sigma: 1, lambda: 0.6 };
// Floats each step reads or writes per parameter (see README, "Memory traffic").
const FLOATS_MOVED = { fsam: 16, sam: 11, sgd: 6 };
const noGradient = () => {};

/** Median milliseconds per call of fn, over enough repetitions to fill ~budgetMs. */
function time(fn, budgetMs = quick ? 150 : 600) {
  for (let i = 0; i < 3; i++) fn();
  const samples = [];
  const start = performance.now();
  while (performance.now() - start < budgetMs || samples.length < 5) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

async function kernelStep(n, sharpness, variant) {
  const opt = await createOptimizer({ variables: [{ name: 'w', size: n }], sharpness, kernels: variant, ...H });
  const fill = (a, seed) => { for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * seed) * 0.01; };
  fill(opt.weights[0], 1.3);
  opt.stepWith((w, g) => fill(g[0], 0.7));
  const ms = time(() => opt.stepWith(noGradient));
  opt.dispose();
  return ms;
}

async function triad(n) {
  const bytes = 3 * n * 4;
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 1 });
  const k = await loadOptimizerKernels(memory);
  const a = 0, b = n * 4, c = 2 * n * 4;
  new Float32Array(memory.buffer).fill(1);
  const ms = time(() => k.triad(a, b, c, n, 0.5));
  return { ms, gbPerS: bytes / ms / 1e6 };
}

const rows = [];
for (const n of SIZES) {
  const t = await triad(n);
  const plainS = plainState(n, H);
  plainS.g.fill(0.001); plainS.g2.fill(0.001);
  const plain = time(() => plainFsamStep(plainS, noGradient));
  const fsam = await kernelStep(n, 'fsam', 'simd');
  const fsamScalar = await kernelStep(n, 'fsam', 'scalar');
  const sam = await kernelStep(n, 'sam', 'simd');
  const sgd = await kernelStep(n, 'none', 'simd');
  const roofline = (floats) => (floats * 4 * n) / (t.gbPerS * 1e6);
  rows.push({
    n, triadGBps: +t.gbPerS.toFixed(2),
    ms: { fsam, fsamScalar, sam, sgd, plainFsam: plain },
    rooflineMs: { fsam: roofline(FLOATS_MOVED.fsam), sam: roofline(FLOATS_MOVED.sam), sgd: roofline(FLOATS_MOVED.sgd) },
    ratioToRoofline: { fsam: fsam / roofline(FLOATS_MOVED.fsam), sam: sam / roofline(FLOATS_MOVED.sam), sgd: sgd / roofline(FLOATS_MOVED.sgd) },
    speedupOverPlain: plain / fsam,
    speedupOverScalar: fsamScalar / fsam,
  });
}

const machine = `${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, Node ${process.version}`;
const f = (x, d = 3) => x.toPrecision(d);
const table = [
  '| N | triad GB/s | F-SAM ms | ×roofline | SAM ms | ×roofline | SGD-m ms | ×roofline | F-SAM scalar ms | plain-loop F-SAM ms | speed-up over plain |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.n.toExponential(0)} | ${r.triadGBps} | ${f(r.ms.fsam)} | ${f(r.ratioToRoofline.fsam)} | ${f(r.ms.sam)} | ${f(r.ratioToRoofline.sam)} | ${f(r.ms.sgd)} | ${f(r.ratioToRoofline.sgd)} | ${f(r.ms.fsamScalar)} | ${f(r.ms.plainFsam)} | ${f(r.speedupOverPlain)}× |`),
].join('\n');
const result = { benchmark: 'optimizer_step', machine, date: new Date().toISOString(), command: 'npm run bench', floatsMovedPerParameter: FLOATS_MOVED, rows };
console.log(JSON.stringify(result));
console.log(`\n${machine}\n\n${table}\n`);
if (!quick) {
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/optimizer_step.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(new URL('./results/optimizer_step.md', import.meta.url), `${machine}\n\n${table}\n`);
}
