// `npm run app`: serves the browser app (dist/app/, made by `npm run build`) on localhost
// with the policy the app is written for, and cross-origin isolation:
//   Content-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'
//   Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp
// The headers are one table (HEADERS), for a server of one's own to copy.
//   node scripts/serve_app.mjs [--port N] [--dir PATH]   (port 8080 by default; 0: any free port)
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const APP_DIR = fileURLToPath(new URL('../dist/app/', import.meta.url));
export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
export const HEADERS = {
  'Content-Security-Policy': CSP,
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'X-Content-Type-Options': 'nosniff',
  // Always asked again: the service worker keeps the copy for offline use.
  'Cache-Control': 'no-cache',
};
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.bin': 'application/octet-stream', '.gz': 'application/octet-stream', '.wasm': 'application/wasm',
  '.png': 'image/png', '.svg': 'image/svg+xml',
};

/** Serves `dir` on 127.0.0.1; resolves to { url, close }. `headers` replace or add to HEADERS (a null value removes one). */
export function serveApp({ dir = APP_DIR, port = 8080, headers = {} } = {}) {
  const base = { ...HEADERS, ...headers };
  for (const [k, v] of Object.entries(base)) if (v === null) delete base[k];
  const server = createServer(async (req, res) => {
    let path;
    try {
      path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname));
    } catch {
      res.writeHead(400, { ...base, 'Content-Type': 'text/plain' }).end('bad request');
      return;
    }
    const file = join(dir, path.endsWith('/') ? join(path, 'index.html') : path);
    const type = TYPES[extname(file)];
    const read = req.method === 'GET' || req.method === 'HEAD';
    let body;
    if (file.startsWith(dir.endsWith(sep) ? dir : dir + sep) && type && read) {
      try { if ((await stat(file)).isFile()) body = await readFile(file); } catch { /* 404 below */ }
    }
    if (!body) {
      res.writeHead(read ? 404 : 405, { ...base, 'Content-Type': 'text/plain' }).end(read ? 'not found' : 'GET or HEAD only');
      return;
    }
    res.writeHead(200, { ...base, 'Content-Type': type, 'Content-Length': body.byteLength }).end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${server.address().port}/`,
      close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(done); }),
    }));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
  const dir = arg('--dir') ?? APP_DIR;
  try {
    await stat(join(dir, 'index.html'));
  } catch {
    console.error(`no app in ${dir}: run npm run build first`);
    process.exit(1);
  }
  const { url } = await serveApp({ dir, port: Number(arg('--port') ?? 8080) });
  console.log(`fsam-edge app: ${url}  (Ctrl-C stops it; offline use works once the page has loaded)`);
}
