// tfjs-layers on the same tfjs-core as everything else here: in the add-on build the
// app's own tfjs-layers (a peer dependency), so models the app builds and models built
// from this namespace share one registry of variables and layer names; in the bundle,
// the bundled copy.
export * as layers from '@tensorflow/tfjs-layers';
