// The CLI's built-in digits come from the package's own data/mnist-digits.bin.gz, not the
// `mnist` package (a devDependency now): the decoded set must be bit for bit the floats
// and labels of the package's JSON, in its order, so every split, the base model and its
// cache key stay what they were. Bad files are refused by name.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';

const { data } = await import('../dist/cli.js');
const s = suite('packaged digits file');

s('decodes to the mnist package\'s digits, bit for bit, in its order', () => {
  const digits = data.loadMnist();
  const pkg = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  let k = 0;
  for (let c = 0; c < 10; c++) {
    const json = JSON.parse(readFileSync(join(pkg, 'src/digits', `${c}.json`), 'utf8')).data;
    const want = Float32Array.from(json);
    const got = digits.features.subarray(k * 784, k * 784 + want.length);
    const gotBits = new Uint32Array(got.buffer, got.byteOffset, got.length), wantBits = new Uint32Array(want.buffer);
    for (let i = 0; i < want.length; i++) {
      if (gotBits[i] !== wantBits[i]) assert.unreachable(`class ${c}, value ${i}: ${got[i]} vs ${want[i]}`);
    }
    for (let i = 0; i < want.length / 784; i++) assert.is(digits.labels[k + i], c);
    k += want.length / 784;
  }
  assert.is(k, digits.labels.length);
  assert.is(k, 10000);
});

s('a damaged or foreign file is refused with what is wrong', () => {
  const file = new URL('../data/mnist-digits.bin.gz', import.meta.url);
  const bytes = gunzipSync(readFileSync(file));
  assert.ok(gzipSync(bytes).length < 2 * 1024 * 1024, 'the file stays compact');
  const refuse = (b, re) => assert.throws(() => data.decodeDigits(b), (e) => e.name === 'DigitsFileError' && re.test(e.message));
  refuse(new TextEncoder().encode('{"data": []}'), /bad magic/);
  refuse(bytes.subarray(0, bytes.length - 1), /holds \d+ bytes; 10000 digits of 28×28 need \d+/);
  const v = Uint8Array.from(bytes); v[4] = 2;
  refuse(v, /version 2; this build reads version 1/);
  const l = Uint8Array.from(bytes); l[12] = 10;
  refuse(l, /digit 0 has label 10/);
});

s.run();
