// The conformance scenario in the page; the driver (run.mjs) reads #out: JSON, or the error.
import * as fsam from './fsam-edge.js';
import { run } from './conformance/scenario.js';

const out = document.getElementById('out');
try {
  out.textContent = JSON.stringify(await run(fsam));
} catch (err) {
  out.textContent = `error: ${err?.name}: ${err?.message}`;
}
