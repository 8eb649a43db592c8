// The conformance scenario in the page; the driver (run.mjs) reads #out: JSON, or the error.
// ?threads=N asks ready() for N threads (the page must be cross-origin isolated to get them).
import * as fsam from './fsam-edge.js';
import { run } from './conformance/scenario.js';

const out = document.getElementById('out');
try {
  const threads = Number(new URL(location.href).searchParams.get('threads') ?? 1);
  out.textContent = JSON.stringify(await run(fsam, { threads }));
} catch (err) {
  out.textContent = `error: ${err?.name}: ${err?.message}`;
}
