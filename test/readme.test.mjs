// The README's API snippet ("With tfjs") runs as printed: it is copied into a file
// inside the package, where `import … from 'fsam-edge'` resolves to this package itself
// (Node's self-reference through package.json "exports"), and run with Node.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const s = suite('README');

s('the API snippet (With tfjs) runs as printed and trains', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### With tfjs'));
  const code = /^```js\n([\s\S]*?)^```$/m.exec(section)?.[1];
  assert.ok(code && code.includes("from 'fsam-edge'"), 'the snippet is found');
  mkdirSync(join(root, 'build'), { recursive: true });
  const file = join(root, 'build', 'readme-api-snippet.mjs');
  writeFileSync(file, code);
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, r.stderr);
  const m = /^loss ([\d.]+) → ([\d.]+)$/m.exec(r.stdout);
  assert.ok(m, `printed the losses: ${r.stdout}`);
  assert.ok(Number(m[2]) < Number(m[1]), `the loss goes down: ${m[0]}`);
});

s('the resume comment names the default checkpoint', () => {
  assert.match(readFileSync(join(root, 'README.md'), 'utf8'), /npx fsam-edge resume +# continue from fsam-edge-out\/checkpoint\.fsam/);
});

s.run();
