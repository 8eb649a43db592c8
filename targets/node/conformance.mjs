// The conformance scenario in Node (the host's, or Node 18 arm64 under qemu): one JSON line.
// An optional argument is the number of threads to ask ready() for (default 1).
import * as fsam from 'fsam-edge/bundle';
import { run } from '../conformance/scenario.js';

const threads = Number(process.argv[2] ?? 1);
console.log(JSON.stringify(await run(fsam, { threads })));
