// The conformance scenario in Deno: one JSON line. An optional argument is the number of
// threads to ask ready() for (default 1; above 1 needs --allow-read of dist/fsam-edge-threads.js).
import * as fsam from 'fsam-edge/bundle';
import { run } from '../conformance/scenario.js';

const threads = Number(Deno.args[0] ?? 1);
console.log(JSON.stringify(await run(fsam, { threads })));
