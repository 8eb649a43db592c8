// Imports flow one way: kernels → arena and step → tfjs optimizer → CLI and apps. The
// rules are the table "What each part may import" of docs/architecture.md, read from
// there; every import in src/ (type-only ones too) must be one its row allows.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname, relative, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The rows of the rules table: which files, and what they may import (backticked tokens). */
function readRules() {
  const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## What each part may import'));
  const rows = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length !== 3 || cells[0] === 'layer' || /^-+$/.test(cells[0])) continue;
    const tokens = (cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    rows.push({ layer: cells[0], files: tokens(cells[1]), allowed: tokens(cells[2]) });
  }
  return rows;
}

const covers = (pattern, path) => (pattern.endsWith('/') ? path.startsWith(pattern) : path === pattern);

/** Whether a resolved import target (repo-relative path, or a bare specifier) matches a token. */
function allows(token, target) {
  if (token === '@tensorflow/*') return target.startsWith('@tensorflow/');
  if (token === 'node:*') return target.startsWith('node:');
  if (token === 'build/*.wasm') return target.startsWith('build/') && target.endsWith('.wasm');
  return covers(token, target);
}

/** Every import specifier of a TypeScript source, with its line. */
function importsOf(source) {
  const found = [];
  const re = /(?:^|\n)\s*(?:import|export)\b[^'";]*?\bfrom\s*'([^']+)'|(?:^|\n)\s*import\s*'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g;
  for (let m; (m = re.exec(source));) {
    const spec = m[1] ?? m[2] ?? m[3];
    found.push({ spec, line: source.slice(0, m.index + m[0].length).split('\n').length });
  }
  return found;
}

/** A specifier as a repo-relative path (with its .ts) or, if bare, as it is. */
function resolve(file, spec) {
  if (!spec.startsWith('.')) return spec;
  const path = relative(root, normalize(join(root, dirname(file), spec))).split('\\').join('/');
  if (existsSync(join(root, path)) && statSync(join(root, path)).isFile()) return path;
  if (existsSync(join(root, `${path}.ts`))) return `${path}.ts`;
  if (existsSync(join(root, path, 'index.ts'))) return `${path}/index.ts`;
  return path;
}

/** The violations of one file's imports. */
function violations(rules, file, source) {
  const row = rules.find((r) => r.files.some((f) => covers(f, file)));
  if (!row) return [`${file}: no row of docs/architecture.md covers it`];
  return importsOf(source).flatMap(({ spec, line }) => {
    const target = resolve(file, spec);
    const ok = row.files.some((f) => covers(f, target)) || row.allowed.some((t) => allows(t, target));
    return ok ? [] : [`${file}:${line} imports '${spec}' (${target}): the ${row.layer} row (${row.files.join(', ')}) does not allow it`];
  });
}

const sources = (dir) => readdirSync(join(root, dir)).flatMap((name) => {
  const path = `${dir}/${name}`;
  return statSync(join(root, path)).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
});

const rules = readRules();
const s = suite('architecture');

s('docs/architecture.md has the rules table, and every file it names exists', () => {
  assert.ok(rules.length >= 10, `${rules.length} rows read`);
  for (const r of rules) for (const f of r.files) assert.ok(existsSync(join(root, f)), `${f} (row ${r.layer})`);
});

s('every import in src/ is one the table allows', () => {
  const files = sources('src');
  const found = files.flatMap((f) => violations(rules, f, readFileSync(join(root, f), 'utf8')));
  assert.equal(found, [], `\n${found.join('\n')}`);
  assert.ok(files.length > 50 && files.reduce((n, f) => n + importsOf(readFileSync(join(root, f), 'utf8')).length, 0) > 200, 'imports were read');
});

s('the check catches an upward import, a Node built-in in the library, and a file no row covers', () => {
  assert.match(violations(rules, 'src/core/x.ts', "import { FSAM } from '../tfjs/optimizers';").join(), /src\/core\/x\.ts:1 imports '\.\.\/tfjs\/optimizers'/);
  assert.match(violations(rules, 'src/core/x.ts', "import type { Tensor } from '@tensorflow/tfjs-core';").join(), /arena and step row/);
  assert.match(violations(rules, 'src/tfjs/x.ts', "\nimport { readFileSync } from 'node:fs';").join(), /src\/tfjs\/x\.ts:2 imports 'node:fs'/);
  assert.match(violations(rules, 'src/tfjs/x.ts', "export * from '../cli/optimizers';").join(), /cli\/optimizers/);
  assert.match(violations(rules, 'src/data/x.ts', "const m = await import('../index');").join(), /src\/index\.ts/);
  assert.match(violations(rules, 'src/newfolder/x.ts', '').join(), /no row of docs\/architecture\.md covers it/);
  // The shared run and the app stay platform-neutral; the app's page holds no tfjs.
  assert.match(violations(rules, 'src/personalize/x.ts', "import { readFileSync } from 'node:fs';").join(), /'node:fs'/);
  assert.match(violations(rules, 'src/app/worker/x.ts', "import { loadMnist } from '../../node/mnist';").join(), /node\/mnist/);
  assert.match(violations(rules, 'src/app/page/x.ts', "import { tf } from '../../index';").join(), /src\/index\.ts/);
  assert.match(violations(rules, 'src/app/page/x.ts', "import type { LayersModel } from '../../personalize/train';").join(), /personalize\/train/);
  assert.equal(violations(rules, 'src/tfjs/x.ts', "import { tf } from '../tf';\nimport '@tensorflow/tfjs-core/dist/register_all_gradients';"), []);
});

s.run();
