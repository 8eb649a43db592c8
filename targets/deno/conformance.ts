// The conformance scenario in Deno: one JSON line.
import * as fsam from 'fsam-edge/bundle';
import { run } from '../conformance/scenario.js';

console.log(JSON.stringify(await run(fsam)));
