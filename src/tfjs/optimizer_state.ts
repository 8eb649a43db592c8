// The state format of the tfjs optimizers: what getWeights() hands out and setWeights()
// takes back, in tfjs's convention (a list of named tensors, the step count first):
//
//   iter                      int32 scalar: completed steps t
//   <variable>/ema            F-SAM's m, the EMA of past gradients
//   <variable>/momentum       SGD's momentum buffer b (tf.train.momentum's name too)
//   <variable>/adam_m         AdamW's first moment m₁
//   <variable>/adam_v         AdamW's second moment v
//
// float32, one tensor per variable and kind the configuration keeps (src/core/state.ts:
// w_old is not saved), whichever backend the state was kept on (the arena on 'wasm', tensors
// elsewhere: ./step_layout.ts), so it moves between backends. The low-memory mode saves its bf16 slabs decoded, under the same
// names, so a state loads in either mode. A state is checked whole before any of it is
// written; before the first step, when the variables are not known yet, it is held and
// checked against them at the first minimize().
import { tf } from '../tf';
import type { SlabKind } from '../core/arena';
import type { TfjsStep } from './step_layout';
import { SAVED_KINDS, savedSlab } from '../core/state';

/** One saved tensor, as tf.Optimizer's getWeights() and setWeights() exchange them. */
export type NamedTensor = Awaited<ReturnType<tf.Optimizer['getWeights']>>[number];

/** A state read from named tensors, each name parsed once into its variable and kind. */
export interface SavedState {
  /** Completed steps t ('iter'). */
  t: number;
  slabs: { name: string; variable: string; kind: SlabKind; values: Float32Array }[];
}

/** The state tensors of a step, after 'iter' (which tf.Optimizer's saveIterations() writes). */
export function stateTensors(step: TfjsStep): NamedTensor[] {
  const arena = step.arena, out: NamedTensor[] = [];
  arena.layout.variables.forEach((v, i) => {
    for (const saved of SAVED_KINDS) {
      const slab = savedSlab(arena, saved);
      if (slab) out.push({ name: `${v.name}/${saved}`, tensor: tf.tensor1d(arena.readFloats(slab, i)) });
    }
  });
  return out;
}

/** Reads a saved state; refuses a missing or bad 'iter', an unknown name or a non-float32 tensor. */
export async function readState(weights: NamedTensor[]): Promise<SavedState> {
  if (!Array.isArray(weights)) throw new TypeError(`setWeights needs an array of { name, tensor }, got ${String(weights)}`);
  const iter = weights.find((w) => w?.name === 'iter');
  if (!iter) throw new RangeError("optimizer weights lack 'iter' (the step count)");
  const t = (await iter.tensor.data())[0];
  if (!Number.isInteger(t) || t < 0) throw new RangeError(`optimizer weight 'iter' must be an integer >= 0, got ${t}`);
  const slabs: SavedState['slabs'] = [];
  for (const { name, tensor } of weights) {
    if (name === 'iter') continue;
    const slash = name.lastIndexOf('/');
    const kind = name.slice(slash + 1) as SlabKind;
    if (slash < 0 || !SAVED_KINDS.includes(kind)) throw new RangeError(`unknown optimizer weight '${name}'`);
    if (tensor.dtype !== 'float32') throw new TypeError(`optimizer weight '${name}' must be float32, got ${tensor.dtype}`);
    slabs.push({ name, variable: name.slice(0, slash), kind, values: (await tensor.data()) as Float32Array });
  }
  return { t, slabs };
}

/** Writes a saved state into a step, having checked every slab against its variables first. */
export function writeState(step: TfjsStep, state: SavedState): void {
  const arena = step.arena, variables = arena.layout.variables;
  const targets = state.slabs.map(({ name, variable, kind, values }) => {
    const i = variables.findIndex((v) => v.name === variable);
    const slab = savedSlab(arena, kind);
    if (i < 0) throw new RangeError(`optimizer weight '${name}' names no variable this optimizer updates`);
    if (!slab) throw new RangeError(`optimizer weight '${name}': this configuration keeps no '${kind}'`);
    if (values.length !== variables[i].size) throw new RangeError(`optimizer weight '${name}' has ${values.length} values, the variable ${variables[i].size}`);
    return { i, slab, values };
  });
  for (const { i, slab, values } of targets) arena.writeFloats(slab, i, values);
  step.t = state.t;
  step.emaReady = step.hyper.sharpness === 'fsam' && state.t > 0;
}
