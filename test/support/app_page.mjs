// Driving the browser app (dist/app/) in headless Chromium, for its tests and for the
// screenshots in docs/app/: one Chromium (targets/browser/chromium.mjs: Debian's or the
// npm package's) and one server of the built app (scripts/serve_app.mjs, the very server
// of `npm run app`, with its CSP and cross-origin isolation), and per case a fresh
// browser context (its own storage). A page records its console errors, page errors,
// CSP violations and long main-thread tasks from the first script on.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchableChromium } from '../../targets/browser/chromium.mjs';
import { serveApp } from '../../scripts/serve_app.mjs';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** One Chromium and one server: { browser, server, url, newContext(options), close() }. */
export async function launchApp() {
  const found = await launchableChromium();
  const server = await serveApp({ port: 0 });
  const browser = await chromium.launch({ executablePath: found.executablePath, env: found.env, headless: true, args: ARGS });
  const profiles = [];
  return {
    browser, server, url: server.url, kind: found.kind,
    newContext: (options = {}) => browser.newContext({ viewport: DESKTOP, acceptDownloads: true, ...options }),
    /** A persistent profile whose preferences block site storage (IndexedDB, service workers). */
    async storageDeniedContext() {
      const dir = mkdtempSync(join(tmpdir(), 'fsam-edge-app-denied-'));
      profiles.push(dir);
      mkdirSync(join(dir, 'Default'));
      writeFileSync(join(dir, 'Default/Preferences'), JSON.stringify({ profile: { default_content_setting_values: { cookies: 2 } } }));
      return chromium.launchPersistentContext(dir, { executablePath: found.executablePath, env: found.env, headless: true, args: ARGS, viewport: DESKTOP, acceptDownloads: true });
    },
    async close() {
      await browser.close();
      await server.close();
      for (const d of profiles) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Records what must not happen on a page, from its first script (through DevTools, which the CSP does not govern). */
async function watch(page, problems) {
  await page.addInitScript(() => {
    globalThis.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => globalThis.__cspViolations.push(`${e.effectiveDirective} refused ${e.blockedURI}`));
    // WebAssembly compiled in the page's realm (tfjs-wasm's and fsam-edge's modules belong in the worker).
    globalThis.__pageWasm = 0;
    for (const k of ['compile', 'compileStreaming', 'instantiate', 'instantiateStreaming']) {
      const f = WebAssembly[k];
      if (f) WebAssembly[k] = function (...args) { globalThis.__pageWasm++; return f.apply(this, args); };
    }
    WebAssembly.Module = new Proxy(WebAssembly.Module, { construct(target, args) { globalThis.__pageWasm++; return new target(...args); } });
    globalThis.__longTasks = [];
    try {
      new PerformanceObserver((list) => { for (const t of list.getEntries()) globalThis.__longTasks.push({ start: t.startTime, duration: t.duration }); })
        .observe({ type: 'longtask', buffered: true });
    } catch { /* no longtask timing here */ }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.name}: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
}

/** Opens the app in `context` (a new page, or `page`); resolves once it is ready. `problems` collects errors. */
export async function openApp(context, url, { page, problems = [] } = {}) {
  const tab = page ?? await context.newPage();
  if (!page) await watch(tab, problems);
  await tab.goto(url);
  await tab.waitForSelector('body[data-ready]', { timeout: 60_000 });
  return { page: tab, problems };
}

/** The page's CSP violations. */
export const cspViolations = (page) => page.evaluate(() => globalThis.__cspViolations ?? []);

/** Main-thread tasks between the app's run-started and run-ended marks: { count, over100, longest }. */
export const longTasksDuringRun = (page) => page.evaluate(() => {
  const started = performance.getEntriesByName('fsam-edge:run-started').at(-1)?.startTime ?? 0;
  const ended = performance.getEntriesByName('fsam-edge:run-ended').at(-1)?.startTime ?? performance.now();
  const during = (globalThis.__longTasks ?? []).filter((t) => t.start >= started && t.start <= ended);
  return { count: during.length, over100: during.filter((t) => t.duration > 100).length, longest: Math.max(0, ...during.map((t) => t.duration)), ms: ended - started };
});

/**
 * The page's main-thread tasks between the app's run-started and run-ended marks, from a
 * Chromium trace taken around `fn()`: [{ wallMs, cpuMs }], longest first. A task's CPU time
 * (the trace's thread duration) is the work the page did; its wall time also holds the
 * time the thread waited for a core, which a loaded machine stretches.
 */
export async function mainThreadTasksDuringRun(browser, fn) {
  await browser.startTracing(undefined, { categories: ['toplevel', 'disabled-by-default-devtools.timeline', 'blink.user_timing'] });
  let events;
  try {
    await fn();
  } finally {
    events = JSON.parse((await browser.stopTracing()).toString()).traceEvents;
  }
  const mark = (name) => events.filter((e) => e.name === `fsam-edge:${name}`).at(-1);
  const [start, end] = [mark('run-started'), mark('run-ended')];
  if (!start || !end) throw new Error('the trace holds no fsam-edge:run-started and run-ended marks');
  return events
    .filter((e) => e.name === 'RunTask' && e.ph === 'X' && e.pid === start.pid && e.tid === start.tid && e.ts >= start.ts && e.ts <= end.ts)
    .map((e) => ({ wallMs: e.dur / 1000, cpuMs: (e.tdur ?? e.dur) / 1000 }))
    .sort((a, b) => b.cpuMs - a.cpuMs);
}

/** Strokes on a canvas with mouse events; each stroke is a list of [x, y] in 0..1 of the canvas. */
export async function draw(page, selector, strokes) {
  await page.locator(selector).scrollIntoViewIfNeeded();
  const box = await page.locator(selector).boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  for (const points of strokes) {
    await page.mouse.move(...at(points[0]));
    await page.mouse.down();
    for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 3 });
    await page.mouse.up();
  }
}

/** Strokes of a few digits, roughly as a person writes them. */
export const DIGITS = {
  0: [Array.from({ length: 17 }, (_, i) => [0.5 + 0.22 * Math.sin((i / 16) * 2 * Math.PI), 0.5 - 0.32 * Math.cos((i / 16) * 2 * Math.PI)])],
  1: [[[0.45, 0.25], [0.55, 0.18], [0.54, 0.5], [0.53, 0.82]]],
  7: [[[0.3, 0.2], [0.7, 0.2], [0.55, 0.5], [0.45, 0.82]]],
};

/** Waits until the run ends (finished, stopped or failed) and returns how. */
export async function runEnd(page, timeout = 180_000) {
  await page.waitForFunction(() => ['finished', 'stopped', 'failed'].includes(document.body.dataset.run), null, { timeout, polling: 50 });
  return page.evaluate(() => document.body.dataset.run);
}

/** Waits until the run has stored at least `epochs` epochs. */
export const epochsSaved = (page, epochs, timeout = 120_000) =>
  page.waitForFunction((n) => Number(document.body.dataset.epochs ?? 0) >= n, epochs, { timeout, polling: 20 });

/** Every record the app keeps in IndexedDB, as a digest per key (what "stored state" is). */
export const storedState = (page) => page.evaluate(async () => {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open('fsam-edge-app', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('records');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const store = db.transaction('records').objectStore('records');
  const get = (r) => new Promise((resolve) => { r.onsuccess = () => resolve(r.result); });
  const [keys, values] = await Promise.all([get(store.getAllKeys()), get(store.getAll())]);
  db.close();
  const bytes = (x) => (ArrayBuffer.isView(x) ? Array.from(new Uint8Array(x.buffer, x.byteOffset, x.byteLength)) : x);
  const digest = async (v) => {
    const json = new TextEncoder().encode(JSON.stringify(v, (_, x) => bytes(x)));
    return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', json)), (b) => b.toString(16).padStart(2, '0')).join('');
  };
  return Object.fromEntries(await Promise.all(keys.map(async (k, i) => [k, await digest(values[i])])));
});

/** Clicks a button that downloads files; resolves to { name: bytes } once all `count` arrived. */
export async function downloads(page, selector, count = 1) {
  const files = {};
  const arrived = new Promise((resolve) => {
    page.on('download', async function take(d) {
      files[d.suggestedFilename()] = readFileSync(await d.path());
      if (Object.keys(files).length === count) { page.off('download', take); resolve(files); }
    });
  });
  await page.click(selector);
  return arrived;
}

/** The visible message line. */
export const message = (page) => page.locator('#message').evaluate((el) => (el.hidden ? '' : el.textContent));

/**
 * Layout defects on the current page: horizontal overflow past the viewport, controls cut
 * off, and pairs of controls or texts that overlap.
 */
export const layoutProblems = (page) => page.evaluate(() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width + 1) problems.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${width}px viewport`);
  const els = [...document.querySelectorAll('h1, h2, h3, p, label, button, select, input:not([type=file]), code, canvas, progress, table, svg, output, summary, ol, .thumb')]
    .filter((el) => {
      const r = el.getBoundingClientRect();
      if (!(r.width > 0 && r.height > 0) || getComputedStyle(el).visibility === 'hidden') return false;
      // Inside a scrolled box, only what shows through it.
      const box = el.parentElement?.closest('#thumbs, pre');
      if (!box) return true;
      const b = box.getBoundingClientRect();
      return r.top >= b.top && r.bottom <= b.bottom;
    });
  const name = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''}${el.textContent ? ` "${el.textContent.trim().slice(0, 20)}"` : ''}`;
  for (const el of els) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && !el.closest('#thumbs, pre, details')) problems.push(`${name(el)} reaches ${Math.round(r.right)}px, past the ${width}px viewport`);
  }
  for (let i = 0; i < els.length; i++) {
    for (let j = i + 1; j < els.length; j++) {
      const a = els[i], b = els[j];
      if (a.contains(b) || b.contains(a)) continue;
      const ra = a.getBoundingClientRect(), rb = b.getBoundingClientRect();
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left), h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (w > 2 && h > 2) problems.push(`${name(a)} overlaps ${name(b)} (${Math.round(w)}×${Math.round(h)}px)`);
    }
  }
  return problems;
});
