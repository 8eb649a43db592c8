#!/usr/bin/env node
// The fsam-edge command: runs the bundled CLI, dist/cli.js. In a fresh clone, where
// nothing is built yet, it builds first (npm run build) and says so on stderr.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
const build = new URL('../scripts/build.mjs', import.meta.url);
if (!existsSync(cli) && existsSync(build)) {
  process.stderr.write('fsam-edge: dist/cli.js is missing; building it (npm run build)\n');
  const r = spawnSync(process.execPath, [fileURLToPath(build)], { stdio: ['ignore', 2, 2] });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
