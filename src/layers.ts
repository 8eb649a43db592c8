// tfjs-layers, bundled against the same tfjs-core instance as everything else here:
// a model built from this namespace accepts fsam-edge's optimizers (a second copy of
// tfjs-core, e.g. from importing @tensorflow/tfjs-layers separately, would not).
export * as layers from '@tensorflow/tfjs-layers';
