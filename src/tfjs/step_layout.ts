// The step for a list of tf.Variables. The first minimize() lays out the arena for them;
// a later one with other variables (a layer unfrozen, say) lays it out anew, carries
// each surviving variable's state over by name (new ones start at zero) and frees the
// old arena. The arena holds only the state: the weights and gradients stay tfjs's.
import { tf } from '../tf';
import { Arena, ArenaLayout } from '../core/arena';
import type { Hyperparams } from '../core/hyperparams';
import { bindOptimizerKernels, compiledOptimizerKernels } from '../core/kernels';
import type { SharpnessStep } from '../core/sharpness_step';
import { createStep } from '../core/create_step';
import { stateKinds, carryState } from '../core/state';
import { tfjsHeapHost, wasmMemory } from './wasm_bridge';

/** Whether `step` was laid out for exactly these variables, in this order. */
function laidOutFor(step: SharpnessStep, vars: tf.Variable[]): boolean {
  const laid = step.arena.layout.variables;
  return laid.length === vars.length && vars.every((v, i) => v.name === laid[i].name && v.size === laid[i].size);
}

/** `current` if it fits these variables, else a new step (state carried over, `current`'s arena freed). */
export function stepFor(current: SharpnessStep | undefined, vars: tf.Variable[], hyper: Hyperparams, maxBytes: number): SharpnessStep {
  if (current && laidOutFor(current, vars)) return current;
  const layout = new ArenaLayout(vars.map((v) => ({ name: v.name, size: v.size })), stateKinds(hyper));
  const arena = Arena.allocate(layout, { maxBytes, host: tfjsHeapHost() });
  let step: SharpnessStep;
  try {
    step = createStep(hyper, arena, bindOptimizerKernels(compiledOptimizerKernels(), wasmMemory()));
  } catch (err) {
    arena.release();
    throw err;
  }
  if (current) {
    carryState(current, step);
    current.arena.release();
  }
  return step;
}
