// bench/threads.mjs in Chromium: ?threads=N&steps=M[&profile][&in=worker], the result as
// JSON in #out. The step runs on the page's main thread (where a split kernel call polls
// for its last chunk) or, with in=worker, in a dedicated worker (./threads_worker.js, where
// it may block, as in the browser app's training worker).
import * as lib from '/fsam-edge.js';
import { runSteps } from './threads_step.mjs';

const out = document.getElementById('out');
try {
  const q = new URL(location.href).searchParams;
  const options = { threads: Number(q.get('threads') ?? 1), steps: Number(q.get('steps') ?? 30), profile: q.has('profile'), mode: q.get('step') ?? 'compiled' };
  let result;
  if (q.get('in') === 'worker') {
    const worker = new Worker(new URL('./threads_worker.js', import.meta.url), { type: 'module' });
    result = await new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => (data.error ? reject(new Error(data.error)) : resolve(data));
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage(options);
    });
    worker.terminate();
  } else {
    result = await runSteps(lib, options);
  }
  out.textContent = JSON.stringify(result);
} catch (err) {
  out.textContent = `error: ${err?.name}: ${err?.message}`;
}
