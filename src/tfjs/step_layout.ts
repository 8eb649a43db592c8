// The step for a list of tf.Variables on the active backend: on 'wasm' the arena step
// (src/core/sharpness_step.ts) with its arena on tfjs-wasm's heap beside the tensors;
// elsewhere the same step in tfjs ops (./ops_step.ts), its state in tf.Variables. The
// first minimize() lays the state out for the variables; a later one with other
// variables (a layer unfrozen, say), or on another backend, lays it out anew, carries each
// surviving variable's state over by name (new ones start at zero) and frees the old.
// On 'wasm' the arena also holds the gradients that outlive a pass (src/core/state.ts:
// gradientKinds); elsewhere they stay tensors (./gradient_pass.ts).
import { tf } from '../tf';
import { Arena, ArenaLayout, savedKind } from '../core/arena';
import type { Hyperparams } from '../core/hyperparams';
import { bindOptimizerKernels, compiledOptimizerKernels } from '../core/kernels';
import type { SharpnessStep } from '../core/sharpness_step';
import { createStep } from '../core/create_step';
import { stateKinds, gradientKinds, carryState, savedSlab } from '../core/state';
import { tfjsHeapHost, wasmMemory } from './wasm_bridge';
import { isShared } from '../backend/wasm_backend';
import { sharedKernelModules } from '../backend/threads';
import { OpsStep } from './ops_step';

/** The step of a tfjs optimizer: over the wasm arena, or in tfjs ops on any other backend. */
export type TfjsStep = SharpnessStep | OpsStep;

/** Whether `step` was laid out for exactly these variables, in this order, for this backend. */
export function laidOutFor(step: TfjsStep, vars: tf.Variable[], onWasm: boolean): boolean {
  const laid = step.arena.layout.variables;
  return !(step instanceof OpsStep) === onWasm && laid.length === vars.length &&
    vars.every((v, i) => v.name === laid[i].name && v.size === laid[i].size);
}

/** The state's layout for these variables (or their names and sizes) on this backend: nothing is allocated. */
export function layoutFor(vars: readonly { name: string; size: number }[], hyper: Hyperparams, accumulate: number, onWasm: boolean): ArenaLayout {
  const kinds = [...stateKinds(hyper), ...(onWasm ? gradientKinds(hyper, accumulate) : [])];
  return new ArenaLayout(vars.map((v) => ({ name: v.name, size: v.size })), kinds);
}

/** A new step on `layout` (state carried over from `current`, which is then freed). */
export function stepOn(layout: ArenaLayout, hyper: Hyperparams, current: TfjsStep | undefined, onWasm: boolean): TfjsStep {
  const step = onWasm ? wasmStep(layout, hyper) : new OpsStep(hyper, layout, Infinity);
  if (current) {
    if (current instanceof OpsStep || step instanceof OpsStep) carryByName(current, step);
    else carryState(current, step);
    current.arena.release();
  }
  return step;
}

function wasmStep(layout: ArenaLayout, hyper: Hyperparams): SharpnessStep {
  const arena = Arena.allocate(layout, { host: tfjsHeapHost() });
  try {
    // A threaded backend's memory is shared: the kernels built for a shared memory link to it.
    const memory = wasmMemory();
    const module = isShared(memory) ? sharedKernelModules().optimizer : compiledOptimizerKernels();
    return createStep(hyper, arena, bindOptimizerKernels(module, memory));
  } catch (err) {
    arena.release();
    throw err;
  }
}

/** Carries the saved state (not w_old or gradients, scratch within a step) between steps of either kind, by variable name. */
function carryByName(from: TfjsStep, to: TfjsStep): void {
  const before = new Map(from.arena.layout.variables.map((v, i) => [v.name, i]));
  to.arena.layout.variables.forEach((v, i) => {
    const j = before.get(v.name);
    if (j === undefined || from.arena.layout.variables[j].size !== v.size) return;
    for (const kind of to.arena.layout.kinds) {
      const source = kind === 'wold' || kind === 'grad' || kind === 'grad2' ? undefined : savedSlab(from.arena, savedKind(kind));
      if (source) to.arena.writeFloats(kind, i, from.arena.readFloats(source, j));
    }
  });
  to.t = from.t;
  to.emaReady = from.emaReady;
  to.skipped = from.skipped;
}
