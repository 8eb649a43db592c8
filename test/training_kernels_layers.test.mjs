// tfjs-layers models train with model.fit on 'wasm' with fsam-edge's training kernels:
// a Conv2D stack (with a dilated Conv2D and a depthwise conv with multiplier 2),
// a MobileNet-style block, an Embedding model. Gradients must equal the cpu backend's
// (float64 sums) within what wasm's own float32 rounding explains: 4× the spread of
// wasm's gradients over three orders of the same batch, plus 1e-6 of the variable's
// largest gradient. A fixed 1e-4 of the largest gradient was flaky for the MobileNet
// block (its initial weights are random): its first batch norm's γ and β gradients sum
// 1152 terms per channel that cancel, and over 40 initializations their difference from
// cpu's reached 1.8e-4 of the largest (median 4e-5), while the difference stayed within
// 0.5–1.4× of the permutation spread for every variable of every initialization. The loss
// must fall, and fit must not leak tensors. The scenario runs in a child process (its own tfjs-core
// bundle, so it does not share a process-wide tfjs engine with the other test files).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleTest } from './tfjs-core-ops/bundle.mjs';

const source = readFileSync(fileURLToPath(new URL('./training_kernels_layers.scenario.mjs', import.meta.url)), 'utf8');
const bundle = await bundleTest('training-kernels-layers', source);
// stderr is kept back: tfjs-backend-cpu greets Node users there.
const stdout = execFileSync(process.execPath, [bundle], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'pipe'] });
const result = JSON.parse(stdout.trim().split('\n').pop());

const { dilatedCpuVsWasm, ...models } = result;
const layers = suite('tfjs-layers model.fit on wasm');
layers('dilated conv gradients: cpu (composed forward ops) equals wasm (kernels)', () => {
  for (const c of dilatedCpuVsWasm) assert.ok(c.maxRel <= 1e-5, JSON.stringify(c));
});
for (const [name, r] of Object.entries(models)) {
  layers(`${name}: gradients equal cpu's within wasm's own float32 rounding`, () => {
    const ratios = Object.entries(r.variables).map(([k, v]) => [k, v.err / (4 * v.spread + 1e-6 * v.scale), v]);
    const [worst, ratio, v] = ratios.reduce((a, b) => (b[1] > a[1] ? b : a));
    console.log(`  ${name}: gradient difference from cpu at most ${ratio.toFixed(2)} of the bound (${worst}: ` +
      `${v.err.toExponential(1)} against a reordering spread ${v.spread.toExponential(1)}; largest relative difference ${r.maxRelGradDiff.toExponential(1)})`);
    assert.ok(ratio <= 1, `${worst}: difference ${v.err} > 4 × spread ${v.spread} + 1e-6 × ${v.scale}`);
    assert.ok(r.maxRelGradDiff <= 1e-3, `${name}: max relative gradient difference ${r.maxRelGradDiff} (in ${r.worstVariable})`);
  });
  layers(`${name}: the loss falls`, () => {
    const first = r.losses[0], last = r.losses[r.losses.length - 1];
    assert.ok(last < 0.7 * first, `${name}: losses ${r.losses.map((l) => l.toFixed(4)).join(' ')}`);
  });
  layers(`${name}: fit leaks no tensors`, () => {
    assert.is(r.tensors[r.tensors.length - 1], r.tensors[1], `${name}: live tensors per epoch ${r.tensors.join(' ')}`);
  });
}
layers.run();
