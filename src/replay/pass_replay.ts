// Which pass a compiled step (SharpnessOptimizer.compile, src/tfjs/sharpness_optimizer.ts)
// runs, per signature of its inputs (their shapes and dtypes) and variables:
//   recording   the first pass of each of the first two steps runs normally and is
//               recorded (./recording.ts); the second pass of a SAM step runs normally
//   replaying   the two recordings were the same program (./same_program.ts): both passes
//               of every later step replay the second (./replayer.ts), its conv → bias →
//               ReLU chains and their gradients fused (./fuse_memory_passes.ts)
//   off         the pass cannot be replayed (the reason says why): it runs normally
// Recordings are compared across two steps, on two batches, so randomness (dropout) and
// data the loss makes for itself per step are caught, not only randomness within a step.
// A replay whose variable or captured tensor was disposed is dropped and the signature
// recorded again. Off the 'wasm' backend every pass runs normally.
import { tf } from '../tf';
import type { Pass } from '../tfjs/gradient_pass';
import { secondPass } from '../tfjs/second_pass';
import { recordPass, type Recorded, type Recording } from './recording';
import { programDifference } from './same_program';
import { Replayer } from './replayer';
import { fuseMemoryPasses } from './fuse_memory_passes';

export interface ReplayStatus {
  /** What the last step's passes were: recorded (run normally), replayed, or run normally for `reason`. */
  readonly state: 'recording' | 'replaying' | 'off';
  /** Why the passes are not replayed (state 'off'), were recorded again, or replay without the fused memory passes. */
  readonly reason?: string;
}

interface Entry { recordings: Recording[]; replayer?: Replayer; refusal?: string; unfused?: string }

/** Signatures kept at once; the oldest is dropped beyond it. */
const KEPT_SIGNATURES = 4;

export class PassReplay {
  private readonly entries = new Map<string, Entry>();
  status: ReplayStatus = { state: 'recording' };

  /** The first and second pass for a step on these inputs and variables. */
  passes(inputs: readonly tf.Tensor[], vars: readonly tf.Variable[]): { first: Pass; second: Pass } {
    const normal = { first: tf.variableGrads as Pass, second: secondPass };
    if (tf.getBackend() !== 'wasm') return this.off(`the backend is '${tf.getBackend()}'; passes are replayed on 'wasm' only`, normal);
    if (new Set(inputs.map((x) => x.dataId)).size < inputs.length) return this.off('two inputs share their data', normal);
    const entry = this.entryFor(signature(inputs, vars));
    if (entry.refusal) return this.off(entry.refusal, normal);
    const stale = entry.replayer?.stale();
    if (stale) {
      entry.replayer!.dispose();
      entry.replayer = undefined;
      this.status = { state: 'recording', reason: `recording again: ${stale}` };
    }
    if (entry.replayer) {
      const replayer = entry.replayer;
      const replay: Pass = (_, vs) => replayer.run(inputs, vs);
      this.status = entry.unfused ? { state: 'replaying', reason: entry.unfused } : { state: 'replaying' };
      return { first: replay, second: replay };
    }
    if (!stale) this.status = { state: 'recording' };
    const record: Pass = (loss, vs) => {
      const recorded = recordPass(() => tf.variableGrads(loss, vs), inputs, vs);
      this.took(entry, recorded);
      return recorded.result;
    };
    return { first: record, second: normal.second };
  }

  /** Releases every replay's constants. */
  dispose(): void {
    for (const entry of this.entries.values()) entry.replayer?.dispose();
    this.entries.clear();
  }

  private off<T>(reason: string, normal: T): T {
    this.status = { state: 'off', reason };
    return normal;
  }

  private entryFor(key: string): Entry {
    let entry = this.entries.get(key);
    if (!entry) {
      if (this.entries.size >= KEPT_SIGNATURES) {
        const [oldest, dropped] = this.entries.entries().next().value as [string, Entry];
        dropped.replayer?.dispose();
        this.entries.delete(oldest);
      }
      entry = { recordings: [] };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Takes one recorded pass: two the same make a replay; a lasting refusal turns the signature off. */
  private took(entry: Entry, recorded: Recorded): void {
    if (!recorded.recording) {
      if (recorded.lasting) entry.refusal = recorded.refusal;
      this.status = { state: recorded.lasting ? 'off' : 'recording', reason: recorded.refusal };
      return;
    }
    entry.recordings.push(recorded.recording);
    if (entry.recordings.length < 2) return;
    const [a, b] = entry.recordings;
    entry.recordings = [];
    const difference = programDifference(a, b);
    if (difference) {
      entry.refusal = `the first two recorded passes differ: ${difference}`;
      this.status = { state: 'off', reason: entry.refusal };
      return;
    }
    const { pass, unfused } = fused(b.pass);
    entry.unfused = unfused;
    entry.replayer = new Replayer({ ...b, pass });
  }
}

/**
 * The pass with its memory-bound chains fused (./fuse_memory_passes.ts: the same bits).
 * The rewrite only speeds the replay up: should it ever refuse its own result, the pass
 * replays as recorded, and the replay's status says why.
 */
function fused(pass: Recording['pass']): { pass: Recording['pass']; unfused?: string } {
  try {
    return { pass: fuseMemoryPasses(pass) };
  } catch (err) {
    return { pass, unfused: `replaying without the fused memory passes: ${(err as Error)?.message ?? String(err)}` };
  }
}

function signature(inputs: readonly tf.Tensor[], vars: readonly tf.Variable[]): string {
  return inputs.map((x) => `${x.dtype}[${x.shape}]`).join(' ') + ' | ' + vars.map((v) => v.id).join(' ');
}
