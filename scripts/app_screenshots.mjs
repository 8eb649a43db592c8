// Screenshots of the browser app for docs/app/ and the README: a desktop window
// (1280×900) and a phone screen (390×844), each before, during and after a run of the
// built-in task (a digit drawn on the pad, and tried after). Needs `npm run build` and a
// Chromium (as the tests).
//   node scripts/app_screenshots.mjs [outdir]     (default docs/app/)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchApp, openApp, draw, DIGITS, epochsSaved, runEnd, DESKTOP, PHONE } from '../test/support/app_page.mjs';

const out = process.argv[2] ?? fileURLToPath(new URL('../docs/app/', import.meta.url));
mkdirSync(out, { recursive: true });
const app = await launchApp();
try {
  for (const [name, viewport, extra] of [['desktop', DESKTOP, {}], ['phone', PHONE, { isMobile: true, hasTouch: true }]]) {
    const context = await app.newContext({ viewport, ...extra });
    const { page, problems } = await openApp(context, app.url);
    await page.click('#add-builtin');
    await page.waitForFunction(() => /^400 examples/.test(document.getElementById('counts').textContent));
    await draw(page, '#draw', DIGITS[7]);
    const shot = (when) => page.screenshot({ path: join(out, `${name}-${when}.png`), fullPage: true });
    await shot('before');
    await page.click('#personalize');
    await epochsSaved(page, 6);
    await shot('during');
    if (await runEnd(page) !== 'finished') throw new Error(`the run did not finish: ${await page.locator('#message').textContent()}`);
    await page.click('#clear-draw');
    await draw(page, '#try-pad', DIGITS[7]);
    await page.waitForFunction(() => document.querySelectorAll('#top3 li').length === 3);
    await shot('after');
    if (problems.length) throw new Error(problems.join('\n'));
    await context.close();
    console.log(`${name}: ${['before', 'during', 'after'].map((w) => join(out, `${name}-${w}.png`)).join(', ')}`);
  }
} finally {
  await app.close();
}
