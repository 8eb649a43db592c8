// The browser app of targets/browser-app, built the way an app developer would: esbuild
// bundles it inside a fresh project where @tensorflow/tfjs and the packed fsam-edge are
// installed, with tfjs-backend-wasm's binary copied beside the scripts. Then a static
// server with a given Content-Security-Policy, and headless Chromium (Debian's or the npm
// package's, targets/browser/chromium.mjs, driven by playwright-core as
// targets/browser/run.mjs does) to open a page of it. fsam-edge-threads.js is copied
// beside the scripts too (the app asks for threads), and the server can make the pages
// cross-origin isolated (COOP and COEP headers), which threads need.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { launchableChromium } from '../../targets/browser/chromium.mjs';
import { ISOLATION } from '../../targets/browser/server.mjs';
import { root } from './consumers.mjs';

/** Builds the app in `project`: { web (the folder to serve), metafile, bytes: { app, worker, control, wasm }: { min, gzip } }. */
export async function buildBrowserApp(project) {
  const src = join(project, 'browser-app/src'), web = join(project, 'browser-app/web');
  rmSync(join(project, 'browser-app'), { recursive: true, force: true });
  cpSync(join(root, 'targets/browser-app'), src, { recursive: true });
  mkdirSync(join(web, 'wasm'), { recursive: true });
  cpSync(join(src, 'index.html'), join(web, 'index.html'));
  writeFileSync(join(web, 'control.html'), readFileSync(join(src, 'index.html'), 'utf8').replace('./app.js', './control.js'));
  cpSync(join(project, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'), join(web, 'wasm/tfjs-backend-wasm-simd.wasm'));
  cpSync(join(project, 'node_modules/fsam-edge/dist/fsam-edge-threads.js'), join(web, 'fsam-edge-threads.js'));
  const result = await esbuild.build({
    entryPoints: ['app.js', 'worker.js', 'control.js'].map((f) => join(src, f)), outdir: web, absWorkingDir: project,
    bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', metafile: true, logLevel: 'error',
  });
  const bytes = {};
  for (const [name, file] of [['app', 'app.js'], ['worker', 'worker.js'], ['control', 'control.js'], ['wasm', 'wasm/tfjs-backend-wasm-simd.wasm']]) {
    const code = readFileSync(join(web, file));
    bytes[name] = { min: code.length, gzip: gzipSync(code, { level: 9 }).length };
  }
  return { web, metafile: result.metafile, bytes };
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm' };

/** Serves `dir` on 127.0.0.1 with `csp` on every response (and COOP/COEP if `isolated`); resolves to { url, close }. */
export function serveStatic(dir, csp, { isolated = false } = {}) {
  const server = createServer((req, res) => {
    if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^\/+/, '') || 'index.html';
    const file = join(dir, path);
    const type = TYPES[extname(file)];
    const headers = { 'Content-Security-Policy': csp, 'Cache-Control': 'no-store', ...(isolated ? ISOLATION : {}) };
    if (path.startsWith('..') || !type || !existsSync(file)) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': type }).end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${server.address().port}/`,
      close: () => new Promise((done) => server.close(done)),
    }));
  });
}

/** Opens `page` of `dir` served under `csp`; resolves to { text, problems, violations } once #out is final. */
export async function openPage(dir, page, csp, { timeoutMs = 120_000, isolated = false } = {}) {
  const browser = await launchableChromium();
  const server = await serveStatic(dir, csp, { isolated });
  const profile = mkdtempSync(join(tmpdir(), 'fsam-edge-chromium-'));
  const problems = [];
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: browser.executablePath, env: browser.env, headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const tab = context.pages()[0] ?? await context.newPage();
    // Through the DevTools protocol, which the page's CSP does not govern.
    await tab.addInitScript(() => {
      globalThis.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => globalThis.__cspViolations.push(`${e.effectiveDirective} refused ${e.blockedURI}`));
    });
    tab.on('pageerror', (err) => problems.push(`page error: ${err.name}: ${err.message}`));
    tab.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
    await tab.goto(server.url + page);
    await tab.waitForFunction(() => {
      const text = document.getElementById('out')?.textContent ?? '';
      return text !== '' && !text.endsWith('…');
    }, undefined, { timeout: timeoutMs, polling: 100 }).catch((err) => problems.push(`timeout: ${err.message.split('\n')[0]}`));
    const text = await tab.locator('#out').textContent();
    const violations = await tab.evaluate(() => globalThis.__cspViolations);
    return { text, problems, violations };
  } finally {
    await context?.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
