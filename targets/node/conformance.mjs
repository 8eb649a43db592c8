// The conformance scenario in Node (the host's, or Node 18 arm64 under qemu): one JSON line.
import * as fsam from 'fsam-edge/bundle';
import { run } from '../conformance/scenario.js';

console.log(JSON.stringify(await run(fsam)));
