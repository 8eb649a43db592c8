// A browser app built with esbuild from @tensorflow/tfjs and the packed fsam-edge add-on
// (targets/browser-app): one tfjs-core in the bundle; the bytes fsam-edge adds; and in
// headless Chromium, training in the page and in a Web Worker under a common strict CSP,
// while a CSP that forbids WebAssembly makes ready() reject at once with a clear error.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { consumer } from './support/consumers.mjs';
import { buildBrowserApp, openPage } from './support/browser_app.mjs';
import { targetAvailability, inCi } from '../targets/availability.mjs';

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
const CSP_NO_WASM = "default-src 'self'; script-src 'self'";
const KB = 1024;

let app;
const built = () => (app ??= consumer('tfjs').then(buildBrowserApp));

const s = suite('the add-on in a browser app');

s('the app bundle holds one tfjs-core, the app\'s; report what fsam-edge adds (goal: at most 150 KB gzipped)', async () => {
  const { metafile, bytes } = await built();
  for (const entry of ['app.js', 'worker.js']) {
    const [, output] = Object.entries(metafile.outputs).find(([name]) => name.endsWith(`/${entry}`));
    const inputs = Object.keys(output.inputs);
    const cores = new Set(inputs.map((p) => /^(.*node_modules\/@tensorflow\/tfjs-core)\//.exec(p)?.[1]).filter(Boolean));
    assert.equal([...cores], ['node_modules/@tensorflow/tfjs-core'], `${entry}: tfjs-core copies`);
    assert.ok(inputs.some((p) => p.startsWith('node_modules/fsam-edge/dist/addon.js')), `${entry} uses the add-on`);
    assert.ok(!inputs.some((p) => p.startsWith('node_modules/fsam-edge/dist/fsam-edge')), `${entry} must not include the self-contained bundle`);
    const own = (prefix) => inputs.filter((p) => p.startsWith(prefix)).reduce((a, p) => a + output.inputs[p].bytesInOutput, 0);
    if (entry === 'app.js') {
      const added = { min: bytes.app.min - bytes.control.min, gzip: bytes.app.gzip - bytes.control.gzip };
      console.log(`  app with fsam-edge ${(bytes.app.min / KB).toFixed(0)} KiB min, ${(bytes.app.gzip / KB).toFixed(0)} KiB gzip; ` +
        `the same app with tfjs's SGD instead ${(bytes.control.min / KB).toFixed(0)} KiB, ${(bytes.control.gzip / KB).toFixed(0)} KiB`);
      console.log(`  fsam-edge adds ${(added.min / KB).toFixed(1)} KiB minified, ${(added.gzip / KB).toFixed(1)} KiB gzipped: its own code ` +
        `${(own('node_modules/fsam-edge/') / KB).toFixed(1)} KiB and tfjs-backend-wasm's JS ${(own('node_modules/@tensorflow/tfjs-backend-wasm/') / KB).toFixed(1)} KiB ` +
        `minified; tfjs-backend-wasm-simd.wasm (${(bytes.wasm.min / KB).toFixed(0)} KiB, ${(bytes.wasm.gzip / KB).toFixed(0)} KiB gzipped) is served beside the app`);
      assert.ok(added.gzip <= 150 * KB, `fsam-edge adds ${added.gzip} bytes gzipped`);
    }
  }
});

// Without a Chromium the two pages are skipped (npm test's last line names the target and
// how to install it); under CI=true that is a failure.
const { chromium } = targetAvailability();
const inChromium = chromium.available ? s : (name) => {
  if (inCi()) s(name, () => assert.unreachable(`chromium is missing (${chromium.detail}); install: ${chromium.install}`));
};

inChromium(`chromium: the app trains on 'wasm' in the page and in a Web Worker, and on 'webgl' in the page, under ${CSP}`, async () => {
  const { web } = await built();
  const { text, problems, violations } = await openPage(web, 'index.html', CSP);
  assert.equal(problems, [], 'page errors');
  assert.equal(violations, [], 'CSP violations');
  const r = JSON.parse(text);
  for (const [where, backend] of [['page', 'wasm'], ['worker', 'wasm'], ['webgl', 'webgl']]) {
    assert.ok(r[where], `${where}: ${text}`);
    assert.is(r[where].backend, backend, where);
    assert.ok(r[where].lastLoss < r[where].firstLoss / 10, `${where}: loss ${r[where].firstLoss} → ${r[where].lastLoss}`);
  }
});

inChromium(`chromium: served without COOP/COEP, the page and the worker ask for 2 threads, get 1, and ready() says why`, async () => {
  const { web } = await built();
  const { text, problems, violations } = await openPage(web, 'index.html', CSP);
  assert.equal(problems, [], 'page errors');
  assert.equal(violations, [], 'CSP violations');
  const r = JSON.parse(text);
  for (const where of ['page', 'worker']) {
    assert.is(r[where].threads, 1, `${where}: ${text}`);
    assert.match(r[where].reason, /not cross-origin isolated/, where);
  }
});

inChromium(`chromium: cross-origin isolated (COOP/COEP) under ${CSP}, the page and the worker train on 2 threads`, async () => {
  const { web } = await built();
  const { text, problems, violations } = await openPage(web, 'index.html', CSP, { isolated: true });
  assert.equal(problems, [], 'page errors');
  assert.equal(violations, [], 'CSP violations');
  const r = JSON.parse(text);
  for (const where of ['page', 'worker']) {
    assert.is(r[where].threads, 2, `${where}: ${text}`);
    assert.is(r[where].reason, undefined, where);
    assert.is(r[where].backend, 'wasm', where);
    assert.ok(r[where].lastLoss < r[where].firstLoss / 10, `${where}: loss ${r[where].firstLoss} → ${r[where].lastLoss}`);
  }
  assert.is(r.webgl.backend, 'webgl');
});

inChromium(`chromium: under ${CSP_NO_WASM}, ready() rejects within 5 s with an error that names the policy`, async () => {
  const { web } = await built();
  const started = Date.now();
  const { text, problems } = await openPage(web, 'index.html', CSP_NO_WASM, { timeoutMs: 30_000 });
  assert.equal(problems, [], 'page errors');
  const r = JSON.parse(text);
  assert.is(r.error, 'WasmLoadError', text);
  assert.match(r.message, /cannot compile WebAssembly here/);
  assert.match(r.message, /'wasm-unsafe-eval'/);
  assert.ok(r.ms < 5000, `ready() took ${r.ms} ms to reject`);
  console.log(`  ready() rejected after ${r.ms} ms (page open to result: ${Date.now() - started} ms)`);
});

s.run();
