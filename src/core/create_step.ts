// The step class for a configuration: the full mode, or the low-memory mode.
import type { Arena } from './arena';
import type { Hyperparams } from './hyperparams';
import type { OptimizerKernels } from './kernels';
import { SharpnessStep } from './sharpness_step';
import { LowMemorySharpnessStep } from './low_memory_step';

export function createStep(hyper: Hyperparams, arena: Arena, kernels: OptimizerKernels): SharpnessStep {
  return hyper.lowMemory ? new LowMemorySharpnessStep(hyper, arena, kernels) : new SharpnessStep(hyper, arena, kernels);
}
