// The study's CNN, trained from scratch: two 3×3 conv + ReLU + 2×2 max-pool blocks, a
// hidden dense layer (room to memorize noisy labels), and logits. Seeded initializers,
// so one seed gives the same initial weights to every optimizer.
import { layers } from '../layers';

export interface ModelSize { conv1: number; conv2: number; hidden: number }

export function studyCnn(size: ModelSize, seed: number) {
  const L = layers.layers;
  const init = (k: number) => layers.initializers.heUniform({ seed: (seed * 16 + k) >>> 0 });
  return layers.sequential({ layers: [
    L.conv2d({ inputShape: [28, 28, 1], filters: size.conv1, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: size.conv2, kernelSize: 3, activation: 'relu', kernelInitializer: init(2) }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dense({ units: size.hidden, activation: 'relu', kernelInitializer: init(3) }),
    L.dense({ units: 10, kernelInitializer: layers.initializers.glorotUniform({ seed: (seed * 16 + 4) >>> 0 }) }),
  ] });
}
