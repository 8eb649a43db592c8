// Child process of test/replay.test.mjs: ready({ threads: N }) (once per process), then
// F-SAM on the default CNN by minimize() and by a compiled step. Prints one JSON line.
import { ready, tf, layers, FSAM } from '../../dist/fsam-edge.js';
import { run } from './replay_runs.mjs';

const threads = Number(process.argv[2]);
const report = await ready({ threads });
const make = () => new FSAM({ learningRate: 0.05 });
const minimize = await run(tf, layers, 'default CNN', make, { compiled: false });
const compiled = await run(tf, layers, 'default CNN', make, { compiled: true });
console.log(JSON.stringify({ threads: report.wasm.threads, minimize, compiled }));
