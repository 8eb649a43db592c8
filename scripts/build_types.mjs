// Types for the library builds: tsc emits declarations for the library's entries into
// dist/types/, relative imports get explicit '.js' extensions (Node's ESM resolution
// and Deno need them, in declaration files too), and dist/<entry>.d.ts re-exports them
// beside dist/<entry>.js, where TypeScript (package.json's exports) and Deno
// (@ts-self-types) look. The declarations refer to the peers' own types
// (@tensorflow/tfjs-core, -layers). The add-on and the bundle have the same API; the
// bundle also registers tfjs-core's chained tensor methods (x.square()), so its types
// bring their declarations, imported with the '.js' that NodeNext resolution needs.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/types');
const bundles = { addon: 'index', 'fsam-edge': 'index', core: 'core/index' };
const extra = { 'fsam-edge': "import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';\n" };

const config = join(root, 'dist/tsconfig.types.json');
writeFileSync(config, JSON.stringify({
  extends: '../tsconfig.json',
  compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, rootDir: '../src', outDir: './types' },
  include: [],
  files: ['../src/wasm.d.ts', ...new Set(Object.values(bundles).map((entry) => `../src/${entry}.ts`))],
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
  writeFileSync(join(root, 'dist', `${bundle}.d.ts`), `${extra[bundle] ?? ''}export * from './types/${entry}.js';\n`);
}
console.log(`dist/*.d.ts  ${Object.keys(bundles).length} bundles, ${files(out).length} declaration files`);
