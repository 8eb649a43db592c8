// A tiny static server for the browser target, on localhost only, with the strict
// Content-Security-Policy every page gets: scripts from this origin, WebAssembly
// compilation allowed, no eval and no new Function anywhere. With `isolated` (the
// default) every response also carries Cross-Origin-Opener-Policy: same-origin and
// Cross-Origin-Embedder-Policy: require-corp, which make the page cross-origin isolated:
// the one way a page gets SharedArrayBuffer, so threads (ready({ threads })).
//   /                       → targets/browser/   (the pages)
//   /fsam-edge.js           → dist/fsam-edge.js  (the bundle, as a user would copy it beside a page)
//   /fsam-edge-threads.js   → dist/fsam-edge-threads.js (beside it: what threads need)
//   /conformance/           → targets/conformance/
//   /bench/                 → bench/  (bench/threads.mjs's page)
//   /never/…                → a request that is never answered (the threads' start timeout)
// Run alone: node targets/browser/server.mjs [port] [--not-isolated]  (prints the URL)
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, normalize, extname } from 'node:path';

export const CSP = "script-src 'self' 'wasm-unsafe-eval'";
const root = fileURLToPath(new URL('../..', import.meta.url));
const mounts = [
  ['/fsam-edge.js', join(root, 'dist/fsam-edge.js')],
  ['/fsam-edge-threads.js', join(root, 'dist/fsam-edge-threads.js')],
  ['/conformance/', join(root, 'targets/conformance/')],
  ['/bench/', join(root, 'bench/')],
  ['/', join(root, 'targets/browser/')],
];
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8' };

function resolvePath(urlPath) {
  for (const [prefix, dir] of mounts) {
    if (urlPath === prefix && !prefix.endsWith('/')) return dir;
    if (prefix.endsWith('/') && urlPath.startsWith(prefix)) {
      const rest = normalize(urlPath.slice(prefix.length) || 'index.html');
      if (rest.startsWith('..')) return undefined;
      return join(dir, rest);
    }
  }
  return undefined;
}

/** The headers that make a page cross-origin isolated. */
export const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** Starts the server on 127.0.0.1 (port 0: any free port); resolves to { url, close }. */
export function serve(port = 0, { isolated = true, csp = CSP } = {}) {
  const policy = { 'Content-Security-Policy': csp, ...(isolated ? ISOLATION : {}) };
  const hanging = new Set();
  const server = createServer(async (req, res) => {
    if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    if (pathname.startsWith('/never/')) {
      hanging.add(res);
      return;
    }
    const path = resolvePath(pathname);
    const type = path && types[extname(path)];
    let body;
    try {
      if (type) body = await readFile(path);
    } catch { /* answered 404 below */ }
    if (!body) {
      res.writeHead(404, { 'Content-Type': 'text/plain', ...policy }).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': type, ...policy, 'Cache-Control': 'no-store' }).end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}/`;
      resolve({ url, close: () => new Promise((done) => {
        for (const res of hanging) res.destroy();
        server.close(done);
      }) });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = process.argv.slice(2).find((a) => !a.startsWith('--'));
  const { url } = await serve(Number(port ?? 8080), { isolated: !process.argv.includes('--not-isolated') });
  console.log(url);
}
