// One tfjs per process: the CLI and the study bundles import the library bundle rather
// than carry a second copy of tfjs. Two copies share tfjs's global registries, so the
// second registered every wasm kernel again (~150 "already registered" warnings), and
// their classes failed each other's instanceof.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const url = (f) => new URL(`../dist/${f}`, import.meta.url).href;
const s = suite('bundles');

s('the library and the CLI bundle in one process: one tfjs, nothing registered twice', () => {
  const script = `
    const lib = await import(${JSON.stringify(url('fsam-edge.js'))});
    const cli = await import(${JSON.stringify(url('cli.js'))});
    await lib.ready(); await cli.ready();
    const v = cli.tf.variable(cli.tf.scalar(1));
    console.log(JSON.stringify({ sameTf: cli.tf === lib.tf, variable: v instanceof lib.tf.Variable, backend: lib.tf.getBackend() }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '', 'no warning on stderr');
  assert.equal(JSON.parse(r.stdout), { sameTf: true, variable: true, backend: 'wasm' });
});

s('the CLI and study bundles hold no tfjs of their own', () => {
  for (const f of ['cli.js', 'study.js']) {
    const text = readFileSync(new URL(`../dist/${f}`, import.meta.url), 'utf8');
    assert.match(text, /from "\.\/fsam-edge\.js"/, `${f} imports the library bundle`);
    assert.not.match(text, /registerKernel\(/, `${f} registers no kernel itself`);
  }
});

s.run();
