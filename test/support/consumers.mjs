// The package as a user gets it: `npm pack` of this tree once per test process, and
// fresh projects that install the tarball beside the tfjs packages of one layout. A
// project is kept between runs in the system's temporary folder (keyed by this tree's
// path, so worktrees do not share one) with its peers installed; only the tarball is
// reinstalled when its bytes changed. The first run needs the npm registry (or npm's
// cache); later runs reinstall from the cache.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const TSC = join(root, 'node_modules/typescript/bin/tsc');
export const DENO = join(root, 'node_modules/.bin/deno');
export const ESBUILD = join(root, 'node_modules/esbuild/lib/main.js');

/** The tfjs each layout installs beside fsam-edge: the union package, or the three peers alone. */
export const LAYOUTS = {
  tfjs: { '@tensorflow/tfjs': '4.22.0', '@tensorflow/tfjs-backend-wasm': '4.22.0' },
  separate: { '@tensorflow/tfjs-core': '4.22.0', '@tensorflow/tfjs-layers': '4.22.0', '@tensorflow/tfjs-backend-wasm': '4.22.0' },
};

const cache = join(tmpdir(), `fsam-edge-consumers-${createHash('sha256').update(root).digest('hex').slice(0, 10)}`);

/** Runs a command; resolves to { stdout, stderr, code, ms } (rejects only if it cannot start or times out). */
export function run(command, args, { cwd = root, timeoutMs = 180_000, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, {
      cwd, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', NO_COLOR: '1', npm_config_fund: 'false', npm_config_audit: 'false', ...env },
    });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(new Error(`${command}: ${err.message}`)); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') reject(new Error(`${[command, ...args].join(' ')} timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      else resolve({ stdout, stderr, code, ms: Date.now() - started });
    });
  });
}

/** Like run(), but a non-zero exit rejects with all of the output. */
export async function ok(command, args, options) {
  const r = await run(command, args, options);
  if (r.code !== 0) throw new Error(`${[command, ...args].join(' ')} exited ${r.code}\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`);
  return r;
}

const npm = (args, cwd) => ok(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd, timeoutMs: 600_000 });

let packed;
/** `npm pack` of this tree (built by npm test first): { file, sha256, files: [{ path, size }], unpackedSize }. */
export function tarball() {
  packed ??= (async () => {
    const dir = join(cache, 'pack');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const { stdout } = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root);
    const [info] = JSON.parse(stdout);
    const file = join(dir, info.filename);
    return { file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), files: info.files, unpackedSize: info.unpackedSize };
  })();
  return packed;
}

const projects = {};
/** A fresh project of `layout` with the tarball installed: its folder. */
export function consumer(layout) {
  projects[layout] ??= (async () => {
    const deps = LAYOUTS[layout];
    if (!deps) throw new Error(`no consumer layout '${layout}'`);
    const { file, sha256 } = await tarball();
    const dir = join(cache, layout);
    const recipe = JSON.stringify(deps);
    const recipeFile = join(dir, '.recipe.json');
    if (!existsSync(recipeFile) || readFileSync(recipeFile, 'utf8') !== recipe) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${layout}`, private: true, type: 'module', dependencies: deps }, null, 2));
      await npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], dir);
      writeFileSync(recipeFile, recipe);
    }
    const installedFile = join(dir, '.fsam-edge.sha256');
    if (!existsSync(installedFile) || readFileSync(installedFile, 'utf8') !== sha256) {
      await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-save', file], dir);
      writeFileSync(installedFile, sha256);
    }
    return dir;
  })();
  return projects[layout];
}

/** Bytes of the files under `dir`. */
export function folderBytes(dir) {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path);
    total += s.isDirectory() ? folderBytes(path) : s.size;
  }
  return total;
}
