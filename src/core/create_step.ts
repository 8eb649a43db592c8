// The step class for a configuration: the full mode, or the low-memory mode.
import type { Arena } from './arena';
import type { Hyperparams } from './hyperparams';
import type { OptimizerKernels } from './kernels';
import { FsamStep } from './fsam_step';
import { LowMemoryFsamStep } from './low_memory_step';

export function createStep(h: Hyperparams, arena: Arena, kernels: OptimizerKernels): FsamStep {
  return h.lowMemory ? new LowMemoryFsamStep(h, arena, kernels) : new FsamStep(h, arena, kernels);
}
