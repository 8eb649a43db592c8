// Which runtime targets this machine can run, and for each missing one the command that
// installs it. `npm test` runs every target it can and names the rest in one line; under
// CI=true a missing target is a failure (.ci/run installs all of them).
//   node targets/availability.mjs     prints that line; exits 1 under CI=true if one is missing
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumAvailable, CHROMIUM_INSTALL } from './browser/chromium.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
export const DENO = join(root, 'node_modules/.bin/deno');
const onPath = (name) => (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, name)));

/** name → { available, detail } with `install` when it is not. */
export function targetAvailability() {
  const arm64Dir = process.env.ARM64_NODE_DIR ?? join(root, '.cache/arm64-node');
  const chromium = chromiumAvailable();
  return {
    node: { available: true, detail: `Node ${process.version}` },
    deno: existsSync(DENO) ? { available: true, detail: 'the npm package deno' } : { available: false, detail: `no ${DENO}`, install: 'npm install (the deno devDependency)' },
    chromium: chromium.missing ? { available: false, detail: chromium.missing, install: CHROMIUM_INSTALL } : { available: true, detail: chromium.kind },
    'node18-arm64': !onPath('qemu-aarch64-static')
      ? { available: false, detail: 'no qemu-aarch64-static', install: 'apt-get install qemu-user-static && targets/arm64/provision.sh' }
      : !existsSync(join(arm64Dir, 'root/usr/bin/node'))
        ? { available: false, detail: `no arm64 Node in ${arm64Dir}`, install: 'targets/arm64/provision.sh' }
        : { available: true, detail: "Debian's arm64 Node 18 under qemu" },
  };
}

export const inCi = () => process.env.CI === 'true';

/** The one line: what ran and, for what did not, how to install it. */
export function summaryLine(a = targetAvailability()) {
  const missing = Object.entries(a).filter(([, t]) => !t.available);
  const ran = Object.entries(a).filter(([, t]) => t.available).map(([n]) => n);
  return missing.length === 0
    ? `targets: all ${ran.length} ran (${ran.join(', ')})`
    : `targets: ran ${ran.join(', ')}; SKIPPED ${missing.map(([n, t]) => `${n} (${t.detail}; install: ${t.install})`).join(', ')}` +
      (inCi() ? ' — a failure under CI=true' : '');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const a = targetAvailability();
  console.log(summaryLine(a));
  process.exitCode = inCi() && Object.values(a).some((t) => !t.available) ? 1 : 0;
}
