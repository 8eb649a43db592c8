// Opens one page of the browser target in headless Chromium (Debian's, or the npm
// package's: ./chromium.mjs), driven by playwright-core, served by ./server.mjs under its
// strict CSP, and prints the page's #out text once it is final. Exits 1 on a page error,
// a console error, a CSP violation or a timeout.
//   node targets/browser/run.mjs [index.html|conformance.html[?threads=2]] [--no-simd] [--npm-chromium] [--not-isolated]
// --no-simd starts V8 without SSE4.1, which turns WebAssembly SIMD off on x64.
// --not-isolated serves the pages without COOP/COEP (no SharedArrayBuffer, so no threads).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from './server.mjs';
import { launchableChromium } from './chromium.mjs';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TIMEOUT_MS = 120_000;

export async function runPage(page = 'index.html', { noSimd = false, npmChromium = false, isolated = true, csp } = {}) {
  const browser = await launchableChromium({ npm: npmChromium });
  const server = await serve(0, { isolated, ...(csp ? { csp } : {}) });
  const profile = mkdtempSync(join(tmpdir(), 'fsam-edge-chromium-'));
  const problems = [];
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: browser.executablePath, env: browser.env, headless: true,
      args: [...ARGS, ...(noSimd ? ['--js-flags=--no-enable-sse4-1'] : [])],
    });
    const tab = context.pages()[0] ?? await context.newPage();
    // Injected through the DevTools protocol, which the page's CSP does not govern: it
    // records every refusal, even one that a library catches and works around.
    await tab.addInitScript(() => {
      globalThis.__cspViolations = [];
      document.addEventListener('securitypolicyviolation',
        (e) => globalThis.__cspViolations.push(`${e.effectiveDirective} refused ${e.blockedURI}`));
    });
    let pageFailed, done = false;
    const failed = new Promise((resolve) => { pageFailed = resolve; });
    tab.on('pageerror', (err) => { problems.push(`page error: ${err.name}: ${err.message}`); pageFailed(); });
    tab.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
    await tab.goto(server.url + page);
    // A page's #out is final once it is set and no longer a placeholder ending in '…';
    // an uncaught error ends the wait too.
    await Promise.race([failed, tab.waitForFunction(() => {
      const text = document.getElementById('out')?.textContent ?? '';
      return text !== '' && !text.endsWith('…');
    }, undefined, { timeout: TIMEOUT_MS, polling: 100 }).catch((err) => { if (!done) problems.push(`timeout: ${err.message.split('\n')[0]}`); })]);
    done = true;
    const text = await tab.locator('#out').textContent();
    const violations = await tab.evaluate(() => globalThis.__cspViolations);
    return { text, problems, violations, browser: browser.kind };
  } finally {
    await context?.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const page = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'index.html';
  const { text, problems, violations } = await runPage(page, {
    noSimd: process.argv.includes('--no-simd'), npmChromium: process.argv.includes('--npm-chromium'),
    isolated: !process.argv.includes('--not-isolated'),
  });
  console.log(text);
  for (const p of problems) console.error(p);
  for (const v of violations) console.error(`CSP: ${v}`);
  process.exitCode = problems.length || violations.length ? 1 : 0;
}
