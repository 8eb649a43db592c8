// bench/threads.mjs's 'chromium-worker' side: the step in a dedicated module worker, as the
// browser app trains (its worker asks ready() for threads); the page posts { threads,
// steps, profile, mode } and gets the result back (or { error }).
import * as lib from '/fsam-edge.js';
import { runSteps } from './threads_step.mjs';

self.onmessage = async ({ data }) => {
  try {
    self.postMessage(await runSteps(lib, data));
  } catch (err) {
    self.postMessage({ error: `${err?.name}: ${err?.message}` });
  }
};
