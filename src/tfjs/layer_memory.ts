// The tensors one training pass of a tfjs-layers model creates, layer by layer, per
// example, as tfjs-core 4.22 runs them on tfjs-wasm with fsam-edge's kernels. Nothing is
// allocated: only the layers' classes, configurations and output shapes are read.
//
// What a pass holds at its peak (tf.variableGrads; the end of its backward pass, since
// tfjs keeps every tensor of it until then):
//  - forward: the tensors tfjs saves for the backward pass (the rest is freed when the
//    forward pass ends). In gradient mode tfjs-core does not fuse a bias or an activation
//    other than 'linear' into matMul or conv2d (fused_util shouldFuse), so a Dense or
//    Conv2D layer with 'relu' is three ops — product, bias add, activation — and each
//    output is saved (Add keeps its inputs for their shapes, Relu its input, the next
//    layer its input). A 'linear' layer stays one fused op.
//  - backward: every gradient of the pass: the activation's, and the input's — computed
//    only where something before the layer is trained, except in fused ops (and the
//    product under an activation tfjs cannot fuse), whose custom gradient computes it anyway.
// Measured (bench/memory_plan.mjs --layers: JS-visible tensor bytes at the peak of a
// pass, three batch sizes), floats per example, O the layer's output and I its input:
//   Dense/Conv2D relu         4·O (3·O without bias) + I after the first trained layer
//   Dense/Conv2D elu          3·O (2·O without bias) + I after the first trained layer
//   Dense tanh                3·O + I        sigmoid  3.42·O + I   softmax  4·O + I
//   Dense linear              O + I          Conv2D linear  2.42·O + I (its input gradient's scratch)
//   MaxPooling2D, AveragePooling2D   O + I after the first trained layer
//   GlobalAveragePooling2D   O + 2·I after the first trained layer
//   Dropout                   5·O            BatchNormalization  9.4…10.5·O (10.5·O here)
//   Activation/ReLU layer     2·O            Flatten, Reshape  0 (they share data)
//   the loss (cross-entropy over 10 classes)  about 10 floats per output
// Every model of the measurements comes within 10 floats per example of these sums
// except with BatchNormalization (over by up to 7%). Other layers are not predicted.

/** What a layer needs of tfjs-layers' Layer: duck-typed, so planning imports nothing of it. */
export interface PlannedLayer {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  outputShape: (number | null)[] | (number | null)[][];
  trainableWeights: { shape: readonly (number | null)[] }[];
}

export interface LayerMemory {
  name: string;
  className: string;
  /** Floats per example of the layer's output. */
  outputFloats: number;
  /** Floats per example a training pass holds for the layer at its peak (forward and backward). */
  trainingFloats: number;
  /** Floats per example an inference pass (no gradient) holds for it. */
  inferenceFloats: number;
}

/** Floats per example, or the reason a layer's memory is not known. */
export type LayerMemoryResult = { ok: true; layers: LayerMemory[]; lossFloats: number; largestFloats: number } | { ok: false; reason: string };

const SHARES_DATA = new Set(['InputLayer', 'Flatten', 'Reshape']);
const POOLING = new Set(['MaxPooling2D', 'AveragePooling2D']);
const GLOBAL_POOLING = new Set(['GlobalAveragePooling2D']);
const PRODUCTS = new Set(['Dense', 'Conv2D']);

/** Floats per output a Dense or Conv2D layer holds in a training pass, and whether its input gradient is computed even before any trained layer. */
function product(className: string, activation: string, bias: boolean): { perOutput: number; inputGradientAlways: boolean } {
  switch (activation) {
    case 'linear': return { perOutput: className === 'Conv2D' ? 2.42 : 1, inputGradientAlways: true };
    case 'relu': return { perOutput: bias ? 4 : 3, inputGradientAlways: false };
    case 'elu': return { perOutput: bias ? 3 : 2, inputGradientAlways: false };
    case 'tanh': return { perOutput: 3, inputGradientAlways: true };
    case 'sigmoid': return { perOutput: 3.42, inputGradientAlways: true };
    default: return { perOutput: 4, inputGradientAlways: true }; // softmax, and (unmeasured) the rest like it
  }
}

const floatsOf = (shape: (number | null)[]) => shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);

/**
 * The layers of a sequential chain, in order, with what each holds per example.
 * `inputFloats` is the model input's floats per example.
 */
export function layerMemory(layers: PlannedLayer[], inputFloats: number): LayerMemoryResult {
  const out: LayerMemory[] = [];
  let input = inputFloats, trainedBefore = false, largest = inputFloats;
  for (const layer of layers) {
    const className = layer.getClassName();
    const shape = layer.outputShape;
    if (Array.isArray(shape[0])) return { ok: false, reason: `layer '${layer.name}' (${className}) has several outputs` };
    const O = floatsOf(shape as (number | null)[]), I = input;
    const config = layer.getConfig();
    const activation = String(config.activation ?? 'linear');
    const trains = layer.trainableWeights.length > 0;
    const bias = config.useBias !== false;
    let training: number, inference = O;
    if (SHARES_DATA.has(className)) {
      training = 0; inference = 0;
    } else if (PRODUCTS.has(className)) {
      const p = product(className, activation, bias);
      training = Math.ceil(p.perOutput * O) + (p.inputGradientAlways || trainedBefore ? I : 0);
    } else if (POOLING.has(className)) {
      training = O + (trainedBefore ? I : 0);
    } else if (GLOBAL_POOLING.has(className)) {
      training = O + (trainedBefore ? 2 * I : 0);
    } else if (className === 'Activation' || className === 'ReLU') {
      training = 2 * O;
    } else if (className === 'Dropout') {
      const dropping = Number(config.rate ?? 0) > 0;
      training = dropping ? 5 * O : 0;
      inference = 0;
    } else if (className === 'BatchNormalization') {
      training = Math.ceil(10.5 * O);
      inference = 2 * O;
    } else {
      return { ok: false, reason: `no memory model for layer '${layer.name}' of class ${className}` };
    }
    out.push({ name: layer.name, className, outputFloats: O, trainingFloats: training, inferenceFloats: inference });
    largest = Math.max(largest, O, training > 0 ? I : 0);
    if (trains) trainedBefore = true;
    input = O;
  }
  // The loss over the last output (cross-entropy or squared error): about ten tensors of its size, forward and backward.
  return { ok: true, layers: out, lossFloats: 10 * input, largestFloats: largest };
}
