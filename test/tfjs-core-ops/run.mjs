// tfjs-core's own published op tests, every ops/*_test file plus tensor_test and
// variable_test, run with jasmine on the 'wasm' backend after ready(). fsam-edge adds or
// wraps kernels that nearly every op reaches (Add, Sum, Identity, Cast, BatchMatMul,
// ClipByValue, the conv and pool gradients), so all of them run: a spec that fails here
// and not on plain tfjs-wasm would be fsam-edge's regression. Per-suite counts are printed
// for the suites of the kernels fsam-edge owns.
// The test files are bundled with fsam-edge's sources so they share its tfjs-core instance.
// Exit code 1 on any failure. `--baseline` runs them without fsam-edge's kernels;
// `--verbose` names every superseded and upstream spec.
import Jasmine from 'jasmine';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bundleTest, root } from './bundle.mjs';

// draw, from_pixels and to_pixels need a DOM canvas.
const files = [...readdirSync(join(root, 'node_modules/@tensorflow/tfjs-core/dist/ops'))
  .filter((f) => f.endsWith('_test.js') && !/^(draw|from_pixels|to_pixels)_test\.js$/.test(f))
  .map((f) => `ops/${f.slice(0, -'_test.js'.length)}`), 'variable', 'tensor'];
const OWN = /^(conv2d|conv2dTranspose|conv1d|depthwiseConv2D|depthwiseConv2d gradients|separableConv2d|unsortedSegmentSum|gather|maxPool|maxPoolBackprop|matmul|matmulBatch|dot|clone|variable|tensor|clipByValue|logSoftmax|logSigmoid|add|sum)$/;
const baseline = process.argv.includes('--baseline');

// Specs that must fail, in the way named, reported apart: 'superseded' ones assert a
// limitation fsam-edge removes (dilated gradients are tested against float64 references
// in test/training_kernels.test.mjs); 'upstream' ones fail the same way on plain
// tfjs-backend-wasm (kernels and dtypes it lacks) and lie outside what fsam-edge changes.
// An entry with a spec name must fail as described; a pattern entry only classifies.
const ANY = /./;
const known = [{
  kind: 'superseded', suite: 'depthwiseConv2d gradients', spec: 'throws error on dilations > 1',
  expect: /Expected function to throw an Error/,
  why: 'fsam-edge registers gradients for dilated depthwise convs (issue 4)',
}, {
  kind: 'superseded', suite: 'conv2dTranspose', spec: 'input=8x8x8,output=4x4x8,f=8,s=1,inDepth=8,p=same vec4',
  expect: /Conv2DBackpropInput: dy must have the conv output's shape \[1,4,4,8\], got \[1,8,8,8\]/,
  why: "its input is 8×8 for an output whose conv gives 4×4; fsam-edge's Conv2DBackpropInput refuses that by name, where tfjs-wasm read the input with the wrong size",
}, {
  kind: 'upstream', suite: 'matmul', spec: 'upcasts when dtypes dont match',
  expect: /BatchMatMul for non non-float32 tensors not yet supported/,
  why: "tfjs-backend-wasm's BatchMatMul is float32-only (int32 products are not fsam-edge's to add)",
}, {
  kind: 'upstream', suite: ANY, spec: ANY,
  expect: /Kernel '(Complex|Einsum|RaggedGather|RaggedRange|RaggedTensorToTensor)' not registered for backend 'wasm'/,
  why: 'tfjs-backend-wasm has no complex64, einsum or ragged-tensor kernels',
}, {
  kind: 'upstream', suite: ANY, spec: ANY, expect: /BatchMatMul for non non-float32 tensors not yet supported/,
  why: "tfjs-backend-wasm's BatchMatMul is float32-only",
}, {
  kind: 'upstream', suite: ANY, spec: ANY, expect: /Unknown dtype string/,
  why: 'tfjs-backend-wasm does not support this op on string tensors',
}, {
  kind: 'upstream', suite: ANY, spec: /string/, expect: ANY,
  why: 'tfjs-backend-wasm does not support this op on string tensors',
}, {
  kind: 'upstream', suite: 'slice2d', spec: 'throws when requesting out of bounds slice', expect: /Expected function to throw an Error/,
  why: 'tfjs-backend-wasm does not check the bounds of a slice',
}, {
  kind: 'upstream', suite: 'pool', spec: /fractional outputs default rounding$/, expect: /Arrays differ/,
  why: "tfjs-backend-wasm's pool with a numeric pad and a fractional output size",
}];
const matches = (pattern, text) => (typeof pattern === 'string' ? text === pattern : pattern.test(text));
const suiteOf = (r) => r.fullName.split(' wasm ')[0];

const entry = `
import './test/tfjs-core-ops/wasm_test_env.mjs';
${files.map((f) => `import '@tensorflow/tfjs-core/dist/${f}_test';`).join('\n')}
import { ready } from './src/index.ts';
import { tf } from './src/tf.ts';
${baseline ? `
// Baseline: plain tfjs-backend-wasm, with tfjs-core's gradients and none of fsam-edge's kernels.
import * as tfjsWasm from '@tensorflow/tfjs-backend-wasm';
import { configureWasmLoader } from './src/backend/wasm_loader.ts';
import { embeddedTfjsWasmBinary } from './src/platform/bundled_tfjs.ts';
configureWasmLoader(tfjsWasm, { binary: embeddedTfjsWasmBinary });
await tf.setBackend('wasm');` : 'await ready();'}
`;
const spec = await bundleTest(baseline ? 'tfjs-core-ops-baseline' : 'tfjs-core-ops', entry);

const jasmine = new Jasmine();
jasmine.exitOnCompletion = false;
// tfjs-core's test files reuse some spec names, which jasmine ≥ 6 rejects by default.
jasmine.env.configure({ random: false, forbidDuplicateNames: false, verboseDeprecations: false });
jasmine.addSpecFile(spec);
jasmine.jasmine.DEFAULT_TIMEOUT_INTERVAL = 20000;
jasmine.env.clearReporters();
const counts = { passed: 0, failed: 0, pending: 0, excluded: 0 };
const perFile = {};
const failures = [];
const notes = [];
jasmine.env.addReporter({
  jasmineDone(r) {
    for (const e of r.failedExpectations ?? []) failures.push(`(load/global) ${e.message}\n${e.stack ?? ''}`);
    if (r.incompleteReason) failures.push(`(incomplete) ${r.incompleteReason}`);
  },
  suiteDone(r) {
    for (const e of r.failedExpectations ?? []) failures.push(`(suite ${r.fullName}) ${e.message}`);
  },
  specDone(r) {
    const applies = (k) => matches(k.suite, suiteOf(r)) && matches(k.spec, r.description);
    const failedAs = (k) => r.status === 'failed' && r.failedExpectations.every((e) => k.expect.test(e.message));
    const sup = baseline ? undefined : known.find((k) => applies(k) && failedAs(k));
    if (sup) { counts[sup.kind] = (counts[sup.kind] ?? 0) + 1; notes.push(`${sup.kind}: ${r.fullName} — ${sup.why}`); return; }
    const named = baseline ? undefined : known.find((k) => typeof k.spec === 'string' && applies(k));
    if (named) {
      failures.push(`${r.fullName}\n    expected to fail with ${named.expect} (${named.why}); status ${r.status}`);
      counts.failed++;
      return;
    }
    counts[r.status] = (counts[r.status] ?? 0) + 1;
    const suite = (perFile[suiteOf(r)] ??= { passed: 0, failed: 0 });
    if (r.status === 'passed') suite.passed++;
    if (r.status === 'failed') {
      suite.failed++;
      failures.push(`${r.fullName}\n    ${r.failedExpectations.map((e) => e.message).join('\n    ')}`);
    }
  },
});
const result = await jasmine.execute();
for (const f of failures) console.log(`FAIL ${f}`);
if (process.argv.includes('--verbose')) for (const n of notes) console.log(n);
const byWhy = {};
for (const n of notes) { const [kind, why] = [n.split(':')[0], n.split(' — ').pop()]; byWhy[`${kind}: ${why}`] = (byWhy[`${kind}: ${why}`] ?? 0) + 1; }
for (const [k, n] of Object.entries(byWhy)) console.log(`${k} (${n})`);
const mustFail = (counts.superseded ?? 0) + (counts.upstream ?? 0);
const total = counts.passed + counts.failed + mustFail;
console.log(`tfjs-core op tests on wasm${baseline ? ' (baseline: plain tfjs-backend-wasm)' : ' after ready()'}: ` +
  `${counts.passed} of ${total} passed, ${counts.failed} failed` +
  `${counts.superseded ? `, ${counts.superseded} superseded` : ''}${counts.upstream ? `, ${counts.upstream} upstream` : ''}` +
  `${counts.pending ? `, ${counts.pending} pending` : ''}` +
  `${counts.excluded ? `, ${counts.excluded} excluded` : ''} (jasmine: ${result.overallStatus}` +
  `${mustFail && result.overallStatus === 'failed' ? ', as the superseded and upstream specs must' : ''})`);
const others = Object.entries(perFile).filter(([suite]) => !OWN.test(suite));
for (const [suite, c] of Object.entries(perFile)) if (OWN.test(suite)) console.log(`  ${suite.padEnd(28)} ${c.passed}/${c.passed + c.failed}`);
console.log(`  ${others.length} other suites         ${others.reduce((a, [, c]) => a + c.passed, 0)}/${others.reduce((a, [, c]) => a + c.passed + c.failed, 0)}`);
const expectedStatus = mustFail ? 'failed' : 'passed';
if (!baseline && (counts.failed > 0 || result.overallStatus !== expectedStatus)) process.exitCode = 1;
