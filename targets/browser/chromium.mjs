// Which headless Chromium the browser target runs, and how:
//   CHROMIUM_PATH      that binary (a path that does not exist: no Chromium)
//   Debian's chromium  /usr/bin/chromium (apt-get install chromium), as .ci/run installs it
//   @sparticuz/chromium the npm devDependency, which ships a brotli-compressed Chromium and
//                      the few libraries it needs besides glibc (nss, nspr, expat), built for
//                      Amazon Linux; it runs on Debian 12 with those libraries on
//                      LD_LIBRARY_PATH. Unpacked once into .cache/chromium-npm/<version>/.
// FSAM_EDGE_CHROMIUM=npm picks the npm package even where Debian's is installed.
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, brotliDecompressSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SYSTEM = '/usr/bin/chromium';
const NPM_PACKAGE = join(root, 'node_modules/@sparticuz/chromium');

export const CHROMIUM_INSTALL = 'apt-get install chromium, or npm install (the @sparticuz/chromium devDependency)';

/** What is there, without unpacking anything: { kind, path } or { missing }. */
export function chromiumAvailable() {
  if (process.env.CHROMIUM_PATH) {
    return existsSync(process.env.CHROMIUM_PATH) ? { kind: 'CHROMIUM_PATH', path: process.env.CHROMIUM_PATH } : { missing: `no Chromium at CHROMIUM_PATH=${process.env.CHROMIUM_PATH}` };
  }
  const npm = existsSync(join(NPM_PACKAGE, 'bin/chromium.br')) && process.platform === 'linux' && process.arch === 'x64';
  if (existsSync(SYSTEM) && process.env.FSAM_EDGE_CHROMIUM !== 'npm') return { kind: "Debian's chromium", path: SYSTEM };
  if (npm) return { kind: `npm @sparticuz/chromium ${packageVersion()}`, path: NPM_PACKAGE };
  return { missing: `no Chromium: neither ${SYSTEM} nor the npm package @sparticuz/chromium (linux x64)` };
}

/** Both Chromiums, where both are installed (the tests then check that they agree). */
export const bothChromiums = () => existsSync(SYSTEM) && !process.env.CHROMIUM_PATH && process.env.FSAM_EDGE_CHROMIUM !== 'npm' &&
  existsSync(join(NPM_PACKAGE, 'bin/chromium.br')) && process.arch === 'x64';

const packageVersion = () => JSON.parse(readFileSync(join(NPM_PACKAGE, 'package.json'), 'utf8')).version;

/**
 * The Chromium to launch: { executablePath, env, kind }. The npm package's binary is
 * unpacked on first use (about 3 s); an error says what to install.
 */
export async function launchableChromium({ npm = false } = {}) {
  const found = npm ? { kind: `npm @sparticuz/chromium ${packageVersion()}`, path: NPM_PACKAGE } : chromiumAvailable();
  if (found.missing) throw new Error(`${found.missing}: ${CHROMIUM_INSTALL}`);
  if (found.path !== NPM_PACKAGE) return { executablePath: found.path, env: process.env, kind: found.kind };
  const dir = join(root, '.cache/chromium-npm', packageVersion());
  const binary = join(dir, 'chromium'), lib = join(dir, 'lib');
  if (!existsSync(join(dir, 'unpacked'))) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${binary}.tmp-${process.pid}`;
    await pipeline(createReadStream(join(NPM_PACKAGE, 'bin/chromium.br')), createBrotliDecompress(), createWriteStream(tmp));
    chmodSync(tmp, 0o755);
    renameSync(tmp, binary);
    const libTmp = `${lib}.tmp-${process.pid}`;
    mkdirSync(libTmp, { recursive: true });
    // al2023.tar.br holds lib/*.so*: nss, nspr and expat, all Chromium needs beyond glibc.
    for (const { name, bytes } of tarFiles(brotliDecompressSync(readFileSync(join(NPM_PACKAGE, 'bin/al2023.tar.br'))))) {
      if (!/^lib\/[\w.+-]+$/.test(name)) throw new Error(`@sparticuz/chromium: unexpected ${name} in al2023.tar.br`);
      writeFileSync(join(libTmp, name.slice(4)), bytes, { mode: 0o755 });
    }
    rmSync(lib, { recursive: true, force: true });
    renameSync(libTmp, lib);
    writeFileSync(join(dir, 'unpacked'), `${new Date().toISOString()}\n`);
  }
  const env = { ...process.env, LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
  return { executablePath: binary, env, kind: found.kind };
}

/** The regular files of a tar archive (ustar), as { name, bytes }. */
function* tarFiles(tar) {
  const text = (at, n) => tar.subarray(at, at + n).toString('latin1').replace(/\0.*$/s, '');
  for (let at = 0; at + 512 <= tar.length && tar[at] !== 0;) {
    const size = parseInt(text(at + 124, 12).trim() || '0', 8);
    const type = text(at + 156, 1);
    const prefix = text(at + 345, 155);
    const name = (prefix ? `${prefix}/` : '') + text(at, 100);
    if (type === '0' || type === '') yield { name: name.replace(/^\.\//, ''), bytes: tar.subarray(at + 512, at + 512 + size) };
    at += 512 + Math.ceil(size / 512) * 512;
  }
}
