// bench/threads.mjs in Chromium: ?threads=N&steps=M[&profile], the result as JSON in #out.
import * as lib from '/fsam-edge.js';
import { runSteps } from './threads_step.mjs';

const out = document.getElementById('out');
try {
  const q = new URL(location.href).searchParams;
  const result = await runSteps(lib, { threads: Number(q.get('threads') ?? 1), steps: Number(q.get('steps') ?? 30), profile: q.has('profile'), mode: q.get('step') ?? 'compiled' });
  out.textContent = JSON.stringify(result);
} catch (err) {
  out.textContent = `error: ${err?.name}: ${err?.message}`;
}
