// Types for the bundles: tsc emits declarations for the library's entries into
// dist/types/, relative imports get explicit '.js' extensions (Node's ESM resolution
// and Deno need them, in declaration files too), and dist/<bundle>.d.ts re-exports them
// beside dist/<bundle>.js, where TypeScript and Deno look. The declarations refer to
// @tensorflow/tfjs-core's own types, a dependency of the package.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/types');
const bundles = { 'fsam-edge': 'index', core: 'core/index' };

const config = join(root, 'dist/tsconfig.types.json');
writeFileSync(config, JSON.stringify({
  extends: '../tsconfig.json',
  compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, rootDir: '../src', outDir: './types' },
  include: [],
  files: ['../src/wasm.d.ts', ...Object.values(bundles).map((entry) => `../src/${entry}.ts`)],
}, null, 2));
rmSync(out, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', config], { stdio: 'inherit' });
} finally {
  rmSync(config);
}

const files = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? files(path) : [path];
});
for (const file of files(out).filter((f) => f.endsWith('.d.ts'))) {
  const text = readFileSync(file, 'utf8').replace(/((?:from|import)\s*['"])(\.{1,2}\/[^'"]*?)(['"])/g, (all, head, spec, tail) => {
    if (/\.(js|mjs|cjs|json)$/.test(spec)) return all;
    const target = join(dirname(file), spec);
    if (existsSync(`${target}.d.ts`)) return `${head}${spec}.js${tail}`;
    if (existsSync(join(target, 'index.d.ts'))) return `${head}${spec}/index.js${tail}`;
    throw new Error(`${relative(root, file)}: cannot resolve '${spec}'`);
  });
  writeFileSync(file, text);
}
for (const [bundle, entry] of Object.entries(bundles)) {
  writeFileSync(join(root, 'dist', `${bundle}.d.ts`), `export * from './types/${entry}.js';\n`);
}
console.log(`dist/*.d.ts  ${Object.keys(bundles).length} bundles, ${files(out).length} declaration files`);
