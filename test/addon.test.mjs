// fsam-edge as a user installs it: the packed tarball in fresh projects, beside
// @tensorflow/tfjs 4.22 + @tensorflow/tfjs-backend-wasm 4.22 ('tfjs'), or beside the three
// separate peers ('separate'). Each check is a script of test/consumers run in the
// project, so 'fsam-edge' and '@tensorflow/*' resolve as they do for a user.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shardOf } from './support/model_folder.mjs';
import { consumer, DENO, folderBytes, LAYOUTS, ok, root, run, tarball, TSC } from './support/consumers.mjs';

const GOLDEN = join(root, 'test/fixtures/golden');
const MB = 1024 * 1024;

/** The project of `layout`, with test/consumers copied into it as checks/. */
const prepared = {};
function project(layout) {
  prepared[layout] ??= consumer(layout).then((dir) => {
    rmSync(join(dir, 'checks'), { recursive: true, force: true });
    cpSync(join(root, 'test/consumers'), join(dir, 'checks'), { recursive: true });
    return dir;
  });
  return prepared[layout];
}

/** Runs checks/<script> in the project of `layout`; its last stdout line, parsed. */
async function runCheck(layout, script, args) {
  const dir = await project(layout);
  const r = await ok(process.execPath, [join('checks', script), ...args], { cwd: dir, env: { FSAM_LAYOUT: layout } });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    throw new Error(`checks/${script} printed no JSON:\n${r.stdout}\n${r.stderr}`);
  }
}

// The checks are separate processes: started ahead, two at a time, and awaited by the
// tests in order, so the suite takes about half as long on two cores.
const CHECKS = Object.keys(LAYOUTS).flatMap((layout) => [
  [layout, 'import_changes_nothing.mjs'], [layout, 'user_model.mjs'], [layout, 'golden.mjs', ['wasm', GOLDEN]], [layout, 'golden.mjs', ['cpu', GOLDEN]],
  [layout, 'keep_backend.mjs'], [layout, 'entries.cjs'], [layout, 'entries.mjs'],
]).concat([['separate', 'file_io.mjs'], ['separate', 'every_backend.mjs', [GOLDEN]],
  ['separate', 'dilated_grads.mjs', ['wasm']], ['separate', 'dilated_grads.mjs', ['cpu']], ['separate', 'dilated_grads.mjs', ['cpu', 'app-gradient']]]);
const started = new Map();
let running = 0;
const waiting = [];
function check(layout, script, args = []) {
  const key = JSON.stringify([layout, script, args]);
  if (!started.has(key)) {
    started.set(key, new Promise((resolve) => waiting.push(resolve)).then(async () => {
      running++;
      try { return await runCheck(layout, script, args); } finally { running--; waiting.shift()?.(); }
    }));
    if (running < 2) waiting.shift()();
  }
  return started.get(key);
}
function startChecks() {
  for (const [layout, script, args] of CHECKS) check(layout, script, args).catch(() => {}); // each test reports its own
}

const s = suite('the add-on, installed from the packed tarball');

s('the tarball: the add-on, the bundle, the core, the threads module, the CLI and its digits, a LICENSE; nothing unused; no runtime dependency', async () => {
  const { files } = await tarball();
  await Promise.all(Object.keys(LAYOUTS).map(project)); // installed one after the other, then
  startChecks();
  const paths = files.map((f) => f.path);
  for (const want of ['LICENSE', 'README.md', 'package.json', 'bin/fsam-edge.mjs', 'data/mnist-digits.bin.gz',
    ...['addon', 'fsam-edge', 'core'].flatMap((e) => [`dist/${e}.js`, `dist/${e}.cjs`, `dist/${e}.d.ts`]), 'dist/fsam-edge-threads.js', 'dist/cli.js', 'dist/types/index.d.ts']) {
    assert.ok(paths.includes(want), `the tarball lacks ${want}`);
  }
  const unexpected = paths.filter((p) => !/^(LICENSE|README\.md|package\.json|bin\/fsam-edge\.mjs|data\/mnist-digits\.bin\.gz|dist\/(addon|fsam-edge|core)\.(js|cjs|d\.ts)|dist\/fsam-edge-threads\.js|dist\/cli\.js|dist\/types\/.+\.d\.ts)$/.test(p));
  assert.equal(unexpected, [], 'files the package does not need');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(pkg.dependencies ?? {}, {}, 'runtime dependencies');
  assert.equal(Object.keys(pkg.peerDependencies).sort(), ['@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers']);
  for (const [name, range] of Object.entries(pkg.peerDependencies)) assert.is(range, '^4.22.0', name);
  // './threads' is the threads' worker module: ready() loads it by URL (threadsUrl), never an import with types.
  assert.is(pkg.exports['./threads'], './dist/fsam-edge-threads.js');
  for (const [entry, conditions] of Object.entries(pkg.exports)) {
    if (entry === './package.json' || entry === './threads') continue;
    assert.equal(Object.keys(conditions), ['types', 'import', 'require'], `exports['${entry}']`);
  }
  assert.ok(readFileSync(join(root, 'LICENSE'), 'utf8').includes('Apache License'), 'LICENSE');
});

s('installed without its peers, the package takes at most 15 MB', async () => {
  const dir = await project('separate');
  const bytes = folderBytes(join(dir, 'node_modules/fsam-edge'));
  console.log(`  node_modules/fsam-edge: ${(bytes / MB).toFixed(2)} MB (peers: ${(['core', 'layers', 'backend-wasm', 'backend-cpu']
    .reduce((a, p) => a + folderBytes(join(dir, 'node_modules/@tensorflow', `tfjs-${p}`)), 0) / MB).toFixed(0)} MB)`);
  assert.ok(bytes <= 15 * MB, `${bytes} bytes`);
});

for (const layout of Object.keys(LAYOUTS)) {
  s(`${layout}: import 'fsam-edge' changes nothing; then tf.ready() picks the app's backend`, async () => {
    const r = await check(layout, 'import_changes_nothing.mjs');
    assert.equal(r.changed, [], 'state that importing fsam-edge changed');
    assert.is(r.backendAfterReady, 'cpu');
    assert.ok(r.kernels > 100, `${r.kernels} kernels registered by the app's tfjs`);
    assert.ok(r.sameTf, "fsam-edge's tf is the app's tfjs-core");
    for (const name of ['ready', 'tf', 'layers', 'FSAM', 'SAM', 'SGD', 'AdamW']) assert.ok(r.exports.includes(name), name);
  });

  s(`${layout}: the app's own tf.sequential fits with new FSAM() on 'wasm'; fsam-edge's layers is the app's (no variable clash)`, async () => {
    const r = await check(layout, 'user_model.mjs');
    assert.is(r.backend, 'wasm');
    assert.is(r.optimizer, 'FSAM');
    assert.is(r.iterations, 120);
    assert.ok(r.lastLoss < r.firstLoss / 10, `loss ${r.firstLoss} → ${r.lastLoss}`);
    assert.ok(r.sameLayers, "layers.sequential is the app's");
  });

  for (const backend of ['wasm', 'cpu']) {
    s(`${layout}: the official trajectories through the app's tf.variables and minimize(), on '${backend}', within 5e-6, no tensor left`, async () => {
      const r = await check(layout, 'golden.mjs', [backend, GOLDEN]);
      assert.is(r.backend, backend);
      for (const name of ['fsam_sgd_sigma1', 'sam_sgd']) {
        const g = r[name];
        assert.is(g.steps, 12, name);
        assert.ok(g.lossError < 5e-6 && g.weightError < 5e-6, `${name}: loss off by ${g.lossError}, weights by ${g.weightError}`);
        assert.is(g.leakedPerStep, 0, `${name}: tensors left per step`);
        assert.is(g.leftAfterDispose, 0, `${name}: tensors left after dispose()`);
      }
      console.log(`  ${layout} ${backend}: worst weight deviation ${Math.max(r.fsam_sgd_sigma1.weightError, r.sam_sgd.weightError).toExponential(2)}`);
    });
  }

  s(`${layout}: after ready(), the app's uncaughtException handler decides ('alive' prints)`, async () => {
    const dir = await project(layout);
    const r = await run(process.execPath, ['checks/process_handlers.mjs'], { cwd: dir, env: { FSAM_LAYOUT: layout } });
    assert.is(r.code, 0, `exit code ${r.code}; stderr: ${r.stderr}`);
    assert.is(r.stdout.trim(), 'caught x\nalive');
  });

  s(`${layout}: ready({ keepBackend: true }) leaves the app's backend; 'wasm' later trains; engine.reset() keeps the app's listeners`, async () => {
    const r = await check(layout, 'keep_backend.mjs');
    assert.equal([r.appBackend, r.afterReady, r.switched, r.afterResetReady], ['cpu', 'cpu', 'wasm', 'wasm']);
    assert.ok(r.wasmKernel, "fsam-edge's kernels are registered for 'wasm' before it is used");
    assert.is(r.wOnWasm, 3.05);
    assert.equal([r.listenersAfterReady, r.listenersOnWasm, r.listenersAfterReset], ['1/0', '1/0', '1/0'], 'process listeners: only the app\'s');
    assert.ok(r.appHandlerKept, "the app's uncaughtException handler survives tfjs disposing the backend");
  });

  s(`${layout}: every entry (fsam-edge, fsam-edge/core, fsam-edge/bundle) through require and import`, async () => {
    for (const script of ['entries.cjs', 'entries.mjs']) {
      const r = await check(layout, script);
      assert.equal([r.addon, r.core, r.bundle], ['function', 'function', 'function'], script);
      assert.ok(r.addonTfIsApps && r.bundleTfIsOwn, `${script}: the add-on uses the app's tfjs-core, the bundle its own`);
    }
  });

  s(`${layout}: consumer types check under Bundler and NodeNext (a misspelt option is an error)`, async () => {
    const dir = await project(layout);
    for (const [resolution, module] of [['bundler', 'esnext'], ['nodenext', 'nodenext']]) {
      const config = join(dir, `tsconfig.${resolution}.json`);
      writeFileSync(config, JSON.stringify({
        compilerOptions: { target: 'ES2022', module, moduleResolution: resolution, lib: ['ES2022', 'DOM'], strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files: ['checks/types.ts', 'checks/types_bundle.ts', ...(resolution === 'nodenext' ? ['checks/types_require.cts'] : []),
          ...(layout === 'tfjs' ? ['checks/types_union.ts'] : [])],
      }));
      await ok(process.execPath, [TSC, '-p', config], { cwd: dir });
    }
  });
}

s('separate: deno check of a Deno consumer of the bundle, and of the add-on', async () => {
  const dir = await project('separate');
  cpSync(join(root, 'targets/deno/smoke.ts'), join(dir, 'checks/deno_smoke.ts'));
  await ok(DENO, ['check', '--quiet', 'checks/deno_smoke.ts', 'checks/types_bundle.ts', 'checks/types.ts'], { cwd: dir });
});

s("separate: on 'cpu' (tfjs ops) as on 'wasm' (the arena): each optimizer's trajectory, state names, a state moving between backends, the errors, no tensor left", async () => {
  const r = await check('separate', 'every_backend.mjs', [GOLDEN]);
  for (const [name, c] of Object.entries(r.configs)) {
    assert.ok(c.diff < 2e-6, `${name}: cpu and wasm weights differ by ${c.diff} after 20 steps`);
    assert.ok(c.sameNames, `${name}: getWeights() names differ between backends`);
    assert.equal([c.leakedCpu, c.leakedWasm], [0, 0], `${name}: tensors left by steps 2–20`);
  }
  assert.equal(Object.values(r.configs).map((c) => c.names), [9, 13, 9, 5, 1, 9], 'iter + one tensor per variable and kept kind');
  for (const k of ['wasmThenCpu', 'cpuThenWasm', 'savedOnCpuLoadedOnWasm']) assert.ok(r[k] < 2e-6, `${k}: ${r[k]} from the run that stayed on wasm`);
  assert.ok(r.microVsWhole < 1e-6 && r.microCpuVsWasm < 2e-6, `accumulate: 2 on cpu: ${r.microVsWhole} from the whole batch, ${r.microCpuVsWasm} from wasm`);
  assert.equal(r.microLeaked, [0, 0], 'micro-batched steps leave no tensor');
  assert.is(r.savedIterations, 20);
  assert.match(r.nanError, /^NonFiniteGradientError: first-pass gradient of 'm\d+\/W1' is NaN at index 0; weights and optimizer state are unchanged$/);
  assert.ok(r.unchangedAfterError && r.unchangedAfterSkip, 'weights and state bit for bit as before');
  assert.is(r.skipped, 1);
  // The whole step's budget, the tensors in use apart: m, w_old, b (720 bytes, aligned per variable) and g, g₂ (2 × 53 floats).
  assert.is(r.budgetError, 'MemoryBudgetError 1144 100');
  assert.is(r.budgetErrorWasm, r.budgetError, 'the same budget error on both backends');
  assert.match(r.lowMemoryError, /^RangeError: lowMemory .* runs on the 'wasm' backend only, the active backend is 'cpu'$/);
});

/** v(i) of test/consumers/dilated_grads.mjs. */
const valuesOf = (n, seed) => Float64Array.from({ length: n }, (_, i) => ((i * 7919 + seed) % 13 - 6) / 6.5);

/** Float64 gradients of Σ y·w for y = conv(x, f) + bias, stride 1, dilated (depthwise: f is [KH, KW, C, M]). */
function dilatedConvGrads({ op, x: [B, H, W, C], f: [KH, KW, , M], dilations: [dh, dw], pad, yShape: [, OH, OW, CO] }) {
  const x = valuesOf(B * H * W * C, 1), f = valuesOf(KH * KW * C * M, 2), w = valuesOf(B * OH * OW * CO, 4);
  const top = pad === 'same' ? Math.floor(((OH - 1) + (KH - 1) * dh + 1 - H) / 2) : 0;
  const left = pad === 'same' ? Math.floor(((OW - 1) + (KW - 1) * dw + 1 - W) / 2) : 0;
  const dx = new Float64Array(x.length), df = new Float64Array(f.length), db = new Float64Array(CO);
  for (let b = 0; b < B; b++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let o = 0; o < CO; o++) {
    const g = w[((b * OH + oh) * OW + ow) * CO + o];
    db[o] += g;
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh + kh * dh - top, iw = ow + kw * dw - left;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      const channels = op === 'conv2d' ? Array.from({ length: C }, (_, c) => [c, ((kh * KW + kw) * C + c) * M + o])
        : [[Math.floor(o / M), ((kh * KW + kw) * C + Math.floor(o / M)) * M + o % M]];
      for (const [c, fi] of channels) {
        const xi = ((b * H + ih) * W + iw) * C + c;
        dx[xi] += g * f[fi];
        df[fi] += g * x[xi];
      }
    }
  }
  return { dx, df, db };
}

/** Largest |got − want| over the largest |want|. */
const relError = (got, want) => Math.max(...want.map((v, i) => Math.abs(got[i] - v))) / Math.max(...want.map(Math.abs));

for (const backend of ['wasm', 'cpu']) {
  s(`separate on '${backend}': dilated fused conv2d and depthwiseConv2d have gradients (the float64 reference's), undilated ones keep tfjs's bits, a dilated tfjs-layers Conv2D trains`, async () => {
    const r = await check('separate', 'dilated_grads.mjs', [backend]);
    assert.is(r.backend, backend);
    assert.is(r.cases.length, 3);
    for (const c of r.cases) {
      const want = dilatedConvGrads(c);
      for (const k of ['dx', 'df', 'db']) {
        assert.is(c[k].length, want[k].length, `${c.op} ${k}`);
        const e = relError(c[k], want[k]);
        assert.ok(e <= 1e-5, `${c.op} dilations ${c.dilations} ${c.pad}: ${k} relative error ${e}`);
      }
    }
    assert.ok(r.undilatedSameBits, 'an undilated fused conv: the same gradient bits as conv2d + add');
    assert.is(r.layersLoss.length, 3);
    assert.ok(r.layersLoss.every(Number.isFinite) && r.layersLoss[2] < r.layersLoss[0], `loss ${r.layersLoss}`);
  });
}

s("separate: a fused-conv gradient the app registered itself keeps the undilated convs; dilated ones get fsam-edge's", async () => {
  const r = await check('separate', 'dilated_grads.mjs', ['cpu', 'app-gradient']);
  assert.equal(r.appGradient, { dilatedCalls: 0, dilatedNonZero: true, undilatedCalls: 1, undilatedZero: true });
});

s("separate: file:// saves the app's model and loads it back; shards outside the folder, devices, symlinks out, extra bytes and a flipped byte are refused", async () => {
  const r = await check('separate', 'file_io.mjs');
  assert.match(r.shardName, /^weights\.[0-9a-f]{16}\.bin$/);
  assert.equal(r.files, ['model.json', r.shardName]);
  assert.ok(r.roundTrip, 'the loaded model predicts what the saved one did');
  assert.match(r.refusals.outside, /^ModelFileError: .*weights path "\.\.\/secret\.bin" leads outside the model's folder$/);
  assert.match(r.refusals.device, /weights path "\/dev\/zero" is not relative to the model's folder/);
  assert.match(r.refusals.symlink, /weights path "link\.bin" leads outside the model's folder \(through a symbolic link\)/);
  assert.match(r.refusals.extra, /weightsManifest\[0\]'s shard files hold 108 bytes \(weights\.[0-9a-f]{16}\.bin 108\) but its weights need exactly 104/);
  assert.match(r.refusals.flipped, /^ModelFileError: weights file <dir>\/flipped\/weights\.[0-9a-f]{16}\.bin does not match the checksum in its name: damaged or edited$/);
  assert.match(r.refusals.nulls, /weightsManifest\[0\] is null, not a weight group/);
  assert.match(r.procSave, /^ModelFileError: cannot save a model into \/proc\/fsam-edge-no-such-folder\/model: ENOENT/);
});

s('README: the library quick start installs the add-on and its snippet runs as printed', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('## Quick start');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  assert.ok(section.includes('npm install fsam-edge @tensorflow/tfjs-core @tensorflow/tfjs-layers @tensorflow/tfjs-backend-wasm'), 'the install line');
  const snippet = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(snippet, 'a js snippet in the quick start');
  const dir = await project('separate');
  writeFileSync(join(dir, 'quickstart.mjs'), snippet);
  rmSync(join(dir, 'my-model'), { recursive: true, force: true });
  const r = await ok(process.execPath, ['quickstart.mjs'], { cwd: dir });
  assert.match(r.stdout.trim(), /^wasm: accuracy (0\.9\d|1\.00) after 20 epochs$/);
  assert.ok(existsSync(shardOf(join(dir, 'my-model'))), 'the saved model: model.json and the weights file it names');
});

s.run();
