// How threads share a split kernel call (src/threads/protocol.ts's runChunks), on the
// control words alone: the calling thread claims chunks from the front, the workers from
// the back, every chunk runs exactly once, and a call that is closed or of another epoch
// gives nobody a chunk. The claims are driven here by nesting one side's runChunks inside
// the other's chunks, which interleaves them as two threads would.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bundleTest } from './tfjs-core-ops/bundle.mjs';

const protocol = await import(await bundleTest('chunk_claims',
  "export * from './src/threads/protocol.ts';"));
const { CLAIM, DONE, FAILED, KERNEL, COUNT, ARGC, CHUNKS, MAX_ARGS, MAX_CHUNKS, CHUNK_BITS, CLOSED, EPOCH_MASK, CONTROL_BYTES, runChunks } = protocol;

/** A control block holding a call of `count` chunks (chunk c's one argument: 100 + c), published as `epoch`. */
function publish(count, epoch) {
  const words = new Int32Array(CONTROL_BYTES / 4);
  words[KERNEL] = 7;
  words[COUNT] = count;
  words[ARGC] = 1;
  for (let c = 0; c < count; c++) words[CHUNKS + c * MAX_ARGS] = 100 + c;
  words[CLAIM] = epoch << CHUNK_BITS;
  return words;
}

/** Runs a call with a front claimer and `backs` back claimers taking turns chunk by chunk; what each ran. */
function interleaved(words, epoch, backs) {
  const ran = { front: [], back: Array.from({ length: backs }, () => []) };
  const sides = [
    (next) => runChunks(words, epoch, (kernel, args) => { assert.is(kernel, 7); ran.front.push(args[0] - 100); next(); }, [], false),
    ...ran.back.map((mine) => (next) => runChunks(words, epoch, (kernel, args) => { mine.push(args[0] - 100); next(); }, [], true)),
  ];
  // Side i's chunk runs side i + 1 (mod all): each runChunks call claims one chunk, then the next side its own.
  let turn = 0;
  const next = () => { const side = sides[turn++ % sides.length]; side(next); };
  next();
  return ran;
}

const s = suite('chunk claims');

s('the caller takes chunks from the front, workers from the back, each chunk once', () => {
  for (const count of [1, 2, 3, 8, 17, MAX_CHUNKS]) {
    for (const backs of [1, 3]) {
      const words = publish(count, 5);
      const ran = interleaved(words, 5, backs);
      const all = [ran.front, ...ran.back].flat().sort((a, b) => a - b);
      assert.equal(all, Array.from({ length: count }, (_, c) => c), `count ${count}, ${backs} workers: every chunk once`);
      assert.equal(ran.front, Array.from({ length: ran.front.length }, (_, c) => c), 'the caller ran a prefix, in order');
      const backOrder = ran.back.flat().sort((a, b) => b - a);
      assert.ok(backOrder.every((c, i) => c === count - 1 - i), 'the workers ran the rest, a suffix');
      assert.is(words[DONE], count);
      assert.is(words[FAILED], 0);
    }
  }
});

s('a closed call and a call of another epoch give no chunk', () => {
  const words = publish(4, 9);
  words[CLAIM] = (9 << CHUNK_BITS) | CLOSED;
  let runs = 0;
  runChunks(words, 9, () => runs++, [], false);
  runChunks(words, 9, () => runs++, [], true);
  assert.is(runs, 0, 'closed');
  words[CLAIM] = 10 << CHUNK_BITS;
  runChunks(words, 9, () => runs++, [], false);
  runChunks(words, 9, () => runs++, [], true);
  assert.is(runs, 0, 'a thread still on epoch 9 claims nothing of epoch 10');
  assert.is(words[DONE], 0);
});

s('the highest epochs (the sign bit of the word set) claim like the others', () => {
  for (const epoch of [EPOCH_MASK, EPOCH_MASK - 1, 1 << 19]) {
    const words = publish(6, epoch);
    assert.ok(words[CLAIM] < 0 || epoch < 1 << 19);
    const ran = interleaved(words, epoch, 1);
    assert.equal([ran.front, ran.back[0]].flat().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
    assert.is(words[DONE], 6);
  }
});

s('a chunk that throws is counted failed and done, and the others still run', () => {
  const words = publish(5, 3);
  const ran = [];
  runChunks(words, 3, (_, args) => { if (args[0] === 102) throw new Error('boom'); ran.push(args[0] - 100); }, [], false);
  assert.equal(ran, [0, 1, 3, 4]);
  assert.is(words[FAILED], 1);
  assert.is(words[DONE], 5);
});

s.run();
