// A CommonJS twin of the library bundle for require() users: dist/fsam-edge.cjs, made by
// re-bundling dist/fsam-edge.js (already self-contained, with no top-level await), so
// both formats carry the same code.
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist/fsam-edge.cjs');
await esbuild.build({
  entryPoints: [join(root, 'dist/fsam-edge.js')], outfile,
  bundle: true, format: 'cjs', platform: 'neutral', target: 'es2022', logLevel: 'warning',
});
console.log(`dist/fsam-edge.cjs  ${(statSync(outfile).size / 1024).toFixed(0)} KiB`);
