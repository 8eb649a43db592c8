// The browser app (dist/app/, `npm run app`) in headless Chromium, driven as a person
// would: drawing with the mouse, labelling, personalizing; a reload and a closed tab in
// the middle of a run, resumed bit for bit; checkpoints moving to the CLI and back;
// ?autorun=20 against the CLI's own run; bad input refused with one line and stored
// state unchanged; full and denied storage; keyboard only; a phone-sized screen; offline;
// threads on every core where the page is cross-origin isolated, one thread (said why) where not.
// Every page: no CSP violation (default-src 'self'; script-src 'self' 'wasm-unsafe-eval'),
// no console error. One Chromium and one server for all cases, a fresh context each.
// Without a Chromium the cases are skipped (npm test's last line names the target);
// under CI=true that is a failure.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { targetAvailability, inCi } from '../targets/availability.mjs';
import { serveApp } from '../scripts/serve_app.mjs';
import { runCli, saveTinyModel, blobs, csvOf } from './support/cli_fixture.mjs';
import { shardOf, weightFilesOf, weightsOf } from './support/model_folder.mjs';
import {
  launchApp, openApp, cspViolations, longTasksDuringRun, mainThreadTasksDuringRun, draw, DIGITS, runEnd, epochsSaved, storedState, downloads, message,
  layoutProblems, PHONE,
} from './support/app_page.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'fsam-edge-app-'));
const cache = join(work, 'cache');
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** The CLI's run: its output folder, run once per argument list (all cases share them). */
const cliRuns = new Map();
function cli(args) {
  const key = args.join(' ');
  if (!cliRuns.has(key)) {
    const out = join(work, `cli-${cliRuns.size}`);
    const r = runCli([...args, '--out', out], { env: { FSAM_EDGE_CACHE: cache }, timeout: 300_000 });
    assert.is(r.status, 0, `fsam-edge ${key}: ${r.stderr}`);
    cliRuns.set(key, out);
  }
  return cliRuns.get(key);
}
const cliWeights = (out) => sha256(weightsOf(join(out, 'model')));

const { chromium } = targetAvailability();
const s = suite('browser app');
const timed = (name, fn) => s(name, async () => {
  const t0 = Date.now();
  await fn();
  if (process.env.FSAM_EDGE_TIMES) console.log(`  ${((Date.now() - t0) / 1000).toFixed(1)} s  ${name.slice(0, 60)}`);
});
const inChromium = chromium.available ? timed : (name) => {
  if (inCi()) s(name, () => assert.unreachable(`chromium is missing (${chromium.detail}); install: ${chromium.install}`));
};

let app;
s.before(async () => {
  if (chromium.available) app = await launchApp();
});
s.after(async () => {
  await app?.close();
  rmSync(work, { recursive: true, force: true });
});

/** A fresh context and the app open in it; `check()` asserts no CSP violation and no console error. */
async function fresh(query = '', options = {}) {
  const context = await app.newContext(options);
  const { page, problems } = await openApp(context, app.url + query);
  const check = async () => {
    assert.equal(await cspViolations(page), [], 'CSP violations');
    assert.equal(problems, [], 'console or page errors');
  };
  return { context, page, problems, check };
}

const counts = (page) => page.locator('#counts').textContent();
/** Draws and labels 0, 1, 7 twice: the smallest example set with more than one class. */
const drawSixDigits = async (page) => {
  for (const d of [0, 1, 7, 0, 1, 7]) {
    await draw(page, '#draw', DIGITS[d]);
    await page.click(`#labels button:text-is("${d}")`);
  }
};
/** Personalizes for one epoch and waits until the run has finished. */
const trainOneEpoch = async (page) => {
  await page.fill('#epochs', '1');
  await page.click('#personalize');
  assert.is(await runEnd(page), 'finished', await message(page));
};
const addBuiltin = async (page) => {
  await page.click('#add-builtin');
  await page.waitForFunction(() => /^400 examples/.test(document.getElementById('counts').textContent));
};

inChromium('draw digits with the mouse, label them, personalize 2 epochs: the chart and the accuracy update', async () => {
  const { context, page, check } = await fresh();
  assert.ok(await page.evaluate(() => crossOriginIsolated), 'npm run app serves the page cross-origin isolated (COOP + COEP)');
  // So the worker trains on every core (ready({ threads: 'auto' })), and the page says so.
  await page.waitForFunction(() => document.body.dataset.threads);
  const cores = await page.evaluate(() => Math.min(8, navigator.hardwareConcurrency));
  assert.is(Number(await page.evaluate(() => document.body.dataset.threads)), cores, await page.locator('#threads-line').textContent());
  if (cores > 1) assert.is(await page.locator('#threads-line').textContent(), `Training runs on ${cores} threads.`);
  assert.is(await page.locator('#before').textContent(), '–');
  for (let k = 0; k < 3; k++) {
    for (const d of [1, 0]) {
      await draw(page, '#draw', DIGITS[d]);
      await page.click(`#labels button:text-is("${d}")`);
    }
  }
  assert.match(await counts(page), /^6 examples \(6 drawn\) — 0: 3 · 1: 3 · 2: 0/);
  assert.is(await page.locator('#thumbs .thumb').count(), 6);
  // The drawings are centred like the digits the model learnt from: the strokes' mass near the middle.
  const centre = await page.evaluate(() => {
    const c = document.querySelector('#thumbs .thumb canvas');
    const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
    let m = 0, x = 0, y = 0;
    for (let i = 0; i < 784; i++) { m += d[i * 4]; x += d[i * 4] * (i % 28); y += d[i * 4] * Math.floor(i / 28); }
    return [x / m, y / m];
  });
  assert.ok(Math.abs(centre[0] - 13.5) < 1.5 && Math.abs(centre[1] - 13.5) < 1.5, `centre of mass ${centre}`);
  await page.fill('#epochs', '2');
  await page.click('#personalize');
  assert.is(await runEnd(page), 'finished', await message(page));
  assert.match(await page.locator('#status').textContent(), /Finished 2 epochs/);
  assert.match(await page.locator('#before').textContent(), /^\d+\.\d%$/);
  assert.match(await page.locator('#after').textContent(), /^\d+\.\d%$/);
  // Two charts; the accuracy chart has epochs 0 (before), 1 and 2.
  assert.is(await page.locator('#chart svg').count(), 2);
  assert.is(await page.locator('#chart svg').nth(1).locator('circle').count(), 3);
  assert.is(await page.locator('#chart svg').nth(0).locator('circle').count(), 2 + 3, 'training loss at epochs 1–2, held-out loss at 0–2');
  const memory = await page.locator('#memory').textContent();
  assert.match(memory, /m \(F-SAM EMA\)\s*56\.8 KiB/);
  assert.match(memory, /wasm heap now\s*\d/);
  assert.match(memory, /run plan: heap peak \(training step\); the budget must allow [\d.]+ MiB\s*[\d.]+ MiB/);
  // Try it: a drawn 1, its top three.
  await draw(page, '#try-pad', DIGITS[1]);
  await page.waitForFunction(() => document.querySelectorAll('#top3 li').length === 3 && /%/.test(document.getElementById('top3').textContent));
  assert.match(await page.locator('#top3 li').first().textContent(), /^\d: \d+\.\d%$/);
  assert.equal(await layoutProblems(page), [], 'desktop layout');
  // The drawn examples as the CLI's CSV: `fsam-edge personalize --data examples.csv` is the same run.
  const { 'examples.csv': csv } = await downloads(page, '#export-data');
  assert.match(csv.toString().split('\n')[0], /^x1,x2,.*,x784,label$/);
  writeFileSync(join(work, 'examples.csv'), csv);
  const fromCsv = cli(['personalize', '--data', join(work, 'examples.csv'), '--seed', '0', '--epochs', '2']);
  assert.is(await page.locator('#weights-sha256').textContent(), cliWeights(fromCsv), 'the app\'s run on drawn digits is the CLI\'s run on their CSV');
  await check();
  await context.close();
});

inChromium('served without COOP and COEP, the app trains on one thread and says why', async () => {
  const plain = await serveApp({ port: 0, headers: { 'Cross-Origin-Opener-Policy': null, 'Cross-Origin-Embedder-Policy': null } });
  const context = await app.newContext();
  try {
    const { page, problems } = await openApp(context, plain.url);
    await page.waitForFunction(() => document.body.dataset.threads);
    assert.is(await page.evaluate(() => crossOriginIsolated), false);
    assert.is(await page.evaluate(() => document.body.dataset.threads), '1');
    assert.match(await page.locator('#threads-line').textContent(), /^Training runs on one thread: the page is not cross-origin isolated/);
    assert.equal(await cspViolations(page), [], 'CSP violations');
    assert.equal(problems, [], 'console or page errors');
  } finally {
    await context.close();
    await plain.close();
  }
});

inChromium('?autorun=20 gives the held-out accuracy and the weights of `fsam-edge personalize --seed 0 --epochs 20`; no main-thread task over 100 ms while it trains', async () => {
  let opened;
  const mainTasks = await mainThreadTasksDuringRun(app.browser, async () => {
    opened = await fresh('index.html?autorun=20');
    assert.is(await runEnd(opened.page), 'finished', await message(opened.page));
  });
  const { context, page, check } = opened;
  const summary = JSON.parse(await page.locator('#summary').textContent());
  const hash = await page.locator('#weights-sha256').textContent();
  const out = cli(['personalize', '--seed', '0', '--epochs', '20']);
  const want = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  const [a, b] = [summary.runs[0], want.runs[0]];
  assert.is(a.after.accuracy, b.after.accuracy, 'held-out accuracy after 20 epochs');
  assert.is(hash, cliWeights(out), 'final weights');
  const epochs = (run) => run.history.map(({ seconds, ...e }) => e);
  assert.equal(epochs(a), epochs(b), 'every epoch\'s losses and accuracies');
  assert.equal(a.before, b.before);
  assert.equal(summary.config.data, want.config.data, 'the built-in task, its digest included');
  assert.equal(summary.config.optimizers, want.config.optimizers);
  assert.equal(Object.keys(summary), Object.keys(want), 'summary.json\'s fields');
  // The app plans the run's memory as the CLI does (the CLI's plan may also hold the base model's training, when it trained it).
  const phases = (m) => m.phases.filter((p) => !p.name.startsWith('base model: '));
  assert.equal(phases(summary.memory), phases(want.memory), 'the memory plan');
  // The shipped base model is the one the CLI trains for itself.
  const base = readdirSync(cache).find((d) => d.startsWith('base-digit-cnn-'));
  assert.is(sha256(weightsOf(join(root, 'dist/app/model'))), sha256(weightsOf(join(cache, base))), 'base model');
  // The exported model files are the CLI's, byte for byte.
  const files = await downloads(page, '#export-model', 2);
  const [shard] = weightFilesOf(join(out, 'model'));
  assert.equal(Object.keys(files).sort(), ['model.json', shard].sort(), 'the same names');
  assert.equal(files['model.json'], readFileSync(join(out, 'model/model.json')), 'model.json');
  assert.equal(files[shard], readFileSync(join(out, 'model', shard)), shard);
  // The page stays responsive: the worker trains, the page's realm compiled no WebAssembly
  // (no tfjs-wasm, no kernels), and no main-thread task took over 100 ms of the thread's
  // CPU time. A task's wall time (what a longtask observer sees) also holds the time the
  // thread waited for a core, which a loaded machine stretches (at load 8: 77 ms of wall
  // for 21 ms of CPU; once 408 ms of wall): it is printed, and asserted on CPU time.
  const tasks = await longTasksDuringRun(page);
  const [longest] = mainTasks;
  console.log(`  20 epochs in Chromium in ${(tasks.ms / 1000).toFixed(1)} s; main-thread tasks over 50 ms of wall time: ${tasks.count} (longest ${tasks.longest.toFixed(0)} ms); ${mainTasks.length} tasks traced, the longest in CPU time ${longest.cpuMs.toFixed(0)} ms (${longest.wallMs.toFixed(0)} ms wall)`);
  assert.ok(mainTasks.length > 20, `the trace holds the run's main-thread tasks (${mainTasks.length})`);
  assert.equal(mainTasks.filter((t) => t.cpuMs > 100), [], 'main-thread tasks over 100 ms of CPU time while training');
  assert.is(await page.evaluate(() => globalThis.__pageWasm), 0, 'WebAssembly modules compiled on the page');
  assert.ok(page.workers().length >= 1, 'a worker trains');
  await check();
  await context.close();
});

inChromium('a reload and a closed tab in the middle of a run resume from the last checkpoint; the final weights equal an uninterrupted run\'s; pause holds it', async () => {
  const EPOCHS = 8; // enough that a reload and a closed tab both land before the end
  const { context, page, check } = await fresh();
  await addBuiltin(page);
  await page.fill('#epochs', String(EPOCHS));
  await page.click('#personalize');
  await epochsSaved(page, 1);
  // Pause: no epoch passes until Continue.
  await page.click('#pause');
  await page.waitForFunction(() => /^Paused after step \d+ of epoch \d+/.test(document.getElementById('status').textContent));
  const held = Number(await page.evaluate(() => document.body.dataset.epochs));
  await page.waitForTimeout(1500);
  assert.is(Number(await page.evaluate(() => document.body.dataset.epochs)), held, 'paused');
  await page.click('#pause'); // Continue
  await epochsSaved(page, held + 1);
  await page.reload();
  await page.waitForSelector('body[data-ready]');
  const resumed = await message(page);
  const k = Number(new RegExp(`after epoch (\\d+) of ${EPOCHS}`).exec(resumed)?.[1]);
  assert.ok(k >= held + 1 && k < EPOCHS, `resumed after a reload: ${resumed}`);
  await epochsSaved(page, k + 1);
  await check();
  // A tab that dies (closed mid-epoch): the next one goes on from the stored checkpoint.
  await page.close();
  const { page: again, problems } = await openApp(context, app.url);
  const afterClose = await message(again);
  const k2 = Number(new RegExp(`^Resuming the run after epoch (\\d+) of ${EPOCHS}`).exec(afterClose)?.[1]);
  assert.ok(k2 >= k + 1 && k2 < EPOCHS, `resumed after a closed tab: ${afterClose}`);
  assert.is(await runEnd(again), 'finished', await message(again));
  assert.is(await again.locator('#weights-sha256').textContent(), cliWeights(cli(['personalize', '--seed', '0', '--epochs', String(EPOCHS)])));
  assert.equal(problems, []);
  assert.equal(await cspViolations(again), []);
  await context.close();
});

inChromium('a checkpoint exported by the app is resumed by the CLI, and a CLI checkpoint by the app: the same weights as an uninterrupted run', async () => {
  const uninterrupted = cliWeights(cli(['personalize', '--seed', '0', '--epochs', '6']));
  const { context, page, check } = await fresh();
  await addBuiltin(page);
  await page.fill('#epochs', '6');
  await page.click('#personalize');
  await epochsSaved(page, 2);
  await page.click('#cancel');
  assert.is(await runEnd(page), 'stopped');
  const { 'checkpoint.fsam': exported } = await downloads(page, '#export-checkpoint');
  const path = join(work, 'from-app.fsam');
  writeFileSync(path, exported);
  const done = JSON.parse(new TextDecoder().decode(exported.subarray(56, 56 + exported.readUInt32LE(12)))).progress.epochsDone;
  assert.ok(done >= 2 && done < 6, `cancelled after epoch ${done}`);
  const out = join(work, 'resumed-by-cli');
  const r = runCli(['resume', '--checkpoint', path, '--out', out], { env: { FSAM_EDGE_CACHE: cache } });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`resuming .* after epoch ${done} of 6`));
  assert.is(cliWeights(out), uninterrupted, 'the CLI finishes the app\'s run');

  // The reverse: the CLI stops after epoch 2, the app imports and finishes it.
  const stopped = cli(['personalize', '--seed', '0', '--epochs', '6', '--stop-after', '2']);
  await page.setInputFiles('#import-checkpoint', join(stopped, 'checkpoint.fsam'));
  await page.waitForFunction(() => /Imported checkpoint\.fsam: epoch 2 of 6/.test(document.getElementById('message').textContent));
  assert.ok(await page.locator('#continue-run').isVisible());
  await page.click('#continue-run');
  assert.is(await runEnd(page), 'finished', await message(page));
  assert.is(await page.locator('#weights-sha256').textContent(), uninterrupted, 'the app finishes the CLI\'s run');
  // And the checkpoint it stored after the last epoch is the CLI's format, which the CLI reads.
  const { 'checkpoint.fsam': last } = await downloads(page, '#export-checkpoint');
  writeFileSync(path, last);
  const check2 = runCli(['resume', '--checkpoint', path, '--out', join(work, 'finished-by-app')], { env: { FSAM_EDGE_CACHE: cache } });
  assert.is(check2.status, 0, check2.stderr);
  assert.is(cliWeights(join(work, 'finished-by-app')), uninterrupted);
  await check();
  await context.close();
});

inChromium('a person\'s own model (dropped on the page) and CSV (picked): trained as `fsam-edge personalize --model --data` trains them', async () => {
  const lib = await import('../dist/cli.js');
  await lib.ready();
  const modelJson = await saveTinyModel(lib, join(work, 'own-model'));
  const csvPath = join(work, 'own.csv');
  writeFileSync(csvPath, csvOf(blobs(150, 7)));
  const { context, page, check } = await fresh();
  const files = ['model.json', ...weightFilesOf(join(work, 'own-model'))].map((name) => ({ name, b64: readFileSync(join(work, 'own-model', name)).toString('base64') }));
  const dropped = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
    return dt;
  }, files);
  await page.dispatchEvent('main', 'drop', { dataTransfer: dropped });
  await page.waitForFunction(() => /input \[4\], 3 classes, 67 parameters/.test(document.getElementById('model-line').textContent));
  assert.ok(await page.locator('#labels button').first().isDisabled(), 'no drawing for a model that does not read digits');
  await page.setInputFiles('#import-data', csvPath);
  await page.waitForFunction(() => /^150 examples — 0: 50 · 1: 50 · 2: 50$/.test(document.getElementById('counts').textContent));
  await page.fill('#epochs', '3');
  await page.click('#personalize');
  assert.is(await runEnd(page), 'finished', await message(page));
  const out = cli(['personalize', '--model', modelJson, '--data', csvPath, '--seed', '0', '--epochs', '3']);
  assert.is(await page.locator('#weights-sha256').textContent(), cliWeights(out));
  const exported = await downloads(page, '#export-model', 2);
  assert.equal(exported['model.json'], readFileSync(join(out, 'model/model.json')));
  await check();
  await context.close();
});

inChromium('bad input (an empty or one-class example set, a CSV or a model of the wrong shape, a damaged weights file, a budget too small, a corrupt checkpoint): one visible line each, stored state unchanged', async () => {
  const { context, page, check } = await fresh();
  const refuses = async (what, act, pattern) => {
    const before = await storedState(page);
    await act();
    await page.waitForFunction(() => !document.getElementById('message').hidden, null, { timeout: 30_000 });
    const text = await message(page);
    assert.match(text, pattern, what);
    assert.not.match(text, /\n/, `${what}: one line`);
    assert.ok(await page.locator('#message').isVisible(), `${what}: visible`);
    assert.equal(await storedState(page), before, `${what}: stored state unchanged`);
    await page.evaluate(() => { document.getElementById('message').hidden = true; });
  };
  await refuses('no examples', () => page.click('#personalize'), /^There are no examples: draw digits and label them, add the built-in set, or import a CSV\.$/);
  for (let k = 0; k < 3; k++) {
    await draw(page, '#draw', DIGITS[7]);
    await page.click('#labels button:text-is("7")');
  }
  await refuses('one class', () => page.click('#personalize'), /^All 3 examples are labelled 7: personalizing needs examples of at least two classes\.$/);
  await refuses('a CSV of the wrong shape', () => page.setInputFiles('#import-data', { name: 'mine.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b,c,d,label\n0.1,0.2,0.3,0.4,1\n') }),
    /^mine\.csv:2: 5 cells; the model's input \[28, 28, 1\] needs 784 features plus a label$/);
  const lib = await import('../dist/cli.js');
  await lib.ready();
  const tiny = await saveTinyModel(lib, join(work, 'tiny'));
  const tinyFiles = [tiny, shardOf(join(work, 'tiny'))];
  await refuses('a model of the wrong shape', () => page.setInputFiles('#import-model', tinyFiles),
    /^model\.json: its input \[4\] takes 4 features, but the examples here have 784; remove them first/);
  await refuses('a model whose weights do not match it', () => page.setInputFiles('#import-model', [
    { name: 'model.json', mimeType: 'application/json', buffer: readFileSync(join(root, 'dist/app/model/model.json')) },
    { name: weightFilesOf(join(root, 'dist/app/model'))[0], mimeType: 'application/octet-stream', buffer: weightsOf(join(root, 'dist/app/model')).subarray(0, 1000) },
  ]), /^model\.json: .*1000/);
  const damaged = Buffer.from(readFileSync(shardOf(join(work, 'tiny'))));
  damaged[9] ^= 0x01;
  const damagedName = weightFilesOf(join(work, 'tiny'))[0];
  await refuses('a weights file with one byte flipped', () => page.setInputFiles('#import-model', [
    { name: 'model.json', mimeType: 'application/json', buffer: readFileSync(tiny) },
    { name: damagedName, mimeType: 'application/octet-stream', buffer: damaged },
  ]), new RegExp(`^weights file ${damagedName.replace(/\./g, '\\.')} does not match the checksum in its name: damaged or edited$`));
  await draw(page, '#draw', DIGITS[1]);
  await page.click('#labels button:text-is("1")');
  await page.fill('#budget', '1KB');
  await refuses('a budget too small', () => page.click('#personalize'),
    /^The memory budget 1024 bytes is too small: the run needs \d+ bytes of wasm memory \(its heap peaks at \d+ bytes in the training step — .*\); nothing was trained$/);
  await page.fill('#budget', '');
  const good = readFileSync(join(cli(['personalize', '--seed', '0', '--epochs', '6', '--stop-after', '2']), 'checkpoint.fsam'));
  const corrupt = Buffer.from(good);
  corrupt[corrupt.length - 100] ^= 1;
  await refuses('a corrupt checkpoint', () => page.setInputFiles('#import-checkpoint', { name: 'checkpoint.fsam', mimeType: 'application/octet-stream', buffer: corrupt }),
    /^checkpoint\.fsam: corrupt checkpoint \(SHA-256 mismatch\)$/);
  await refuses('a truncated checkpoint', () => page.setInputFiles('#import-checkpoint', { name: 'cut.fsam', mimeType: 'application/octet-stream', buffer: good.subarray(0, 5000) }),
    /^cut\.fsam: truncated checkpoint/);
  await check();
  await context.close();
});

inChromium('full storage: the write that does not fit is refused with one line, and what was stored stays', async () => {
  const context = await app.newContext();
  const page = await context.newPage();
  // A small quota before the app first opens its database (Chromium reads it then).
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(app.url).origin, quotaSize: 600 * 1024 });
  const { problems } = await openApp(context, app.url, { page });
  await drawSixDigits(page);
  await trainOneEpoch(page);
  const before = await storedState(page);
  assert.ok(before.checkpoint && before.examples, 'a run and examples are stored');
  await page.click('#add-builtin'); // 400 more digits: 1.3 MB, over the quota
  await page.waitForFunction(() => !document.getElementById('message').hidden);
  assert.match(await message(page), /^The examples were not stored: the browser's storage for this page is full; nothing stored before was changed$/);
  assert.equal(await storedState(page), before);
  await page.click('#personalize'); // the new run's data does not fit either: the last run stays
  assert.is(await runEnd(page), 'failed');
  assert.match(await message(page), /^the browser's storage for this page is full; nothing stored before was changed$/);
  assert.equal(await storedState(page), before);
  assert.equal(problems.filter((p) => !/QuotaExceeded|storage/i.test(p)), []);
  await context.close();
});

inChromium('denied storage: one line says nothing will be kept, and the app still trains and exports', async () => {
  const context = await app.storageDeniedContext();
  const { page, problems } = await openApp(context, app.url, { page: context.pages()[0] });
  assert.match(await message(page), /^the browser does not allow this page to store data: examples and checkpoints last only until this page closes; export them to keep them$/);
  await drawSixDigits(page);
  await trainOneEpoch(page);
  const { 'checkpoint.fsam': ck } = await downloads(page, '#export-checkpoint');
  assert.is(ck.subarray(0, 8).toString(), 'FSAMCKPT');
  assert.equal(problems, []);
  await context.close();
});

inChromium('by keyboard alone: add the built-in set, relabel and delete an example, personalize', async () => {
  const { context, page, check } = await fresh();
  const tabTo = async (id) => {
    for (let i = 0; i < 60; i++) {
      if (await page.evaluate((want) => document.activeElement?.id === want || document.activeElement?.closest(`#${want}`) !== null, id)) return;
      await page.keyboard.press('Tab');
    }
    assert.unreachable(`Tab never reached #${id}`);
  };
  await tabTo('add-builtin');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.is.not(outline, 'none', 'a visible focus ring');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^400 examples/.test(document.getElementById('counts').textContent));
  await tabTo('thumbs');
  await page.keyboard.press('ArrowRight');
  const first = await page.evaluate(() => document.activeElement.dataset.id);
  await page.keyboard.press('3');
  assert.match(await page.locator(`#example-${first} span`).textContent(), /^3$/);
  assert.is(await page.locator('#relabel').inputValue(), '3');
  await page.keyboard.press('Delete');
  assert.match(await counts(page), /^399 examples/);
  await tabTo('epochs');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('1');
  await tabTo('budget');
  await page.keyboard.type('3MB');
  await tabTo('low-memory');
  await page.keyboard.press('Space');
  await tabTo('personalize');
  await page.keyboard.press('Enter');
  assert.is(await runEnd(page), 'finished', await message(page));
  assert.match(await page.locator('#status').textContent(), /Finished 1 epochs?/);
  // Low memory within the budget: bf16 state, 4 bytes per parameter, as the summary records.
  assert.match(await page.locator('#memory').textContent(), /m \(bf16\).*momentum \(bf16\).*4 B\/parameter/);
  const summary = JSON.parse(await page.locator('#summary').textContent());
  assert.is(summary.config.maxMemory, 3 * 1024 * 1024);
  assert.is(summary.config.optimizers[0].lowMemory, true);
  await check();
  await context.close();
});

inChromium('a 390×844 phone screen: nothing overflows or overlaps, before, during and after a run', async () => {
  const { context, page, check } = await fresh('', { viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  assert.equal(await layoutProblems(page), [], 'before');
  await addBuiltin(page);
  await page.fill('#epochs', '3');
  await page.click('#personalize');
  await epochsSaved(page, 1);
  assert.equal(await layoutProblems(page), [], 'during');
  assert.is(await runEnd(page), 'finished');
  assert.equal(await layoutProblems(page), [], 'after');
  await check();
  await context.close();
});

inChromium('offline once loaded: the service worker serves the app, which trains', async () => {
  const { context, page, check } = await fresh();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector('body[data-ready]');
  await drawSixDigits(page);
  await page.click('#add-builtin'); // the packaged digits come from the cache too
  await page.waitForFunction(() => /^406 examples/.test(document.getElementById('counts').textContent));
  await trainOneEpoch(page);
  await check();
  await context.close();
});

s.run();
