// The app's own tfjs, as each consumer layout imports it (FSAM_LAYOUT): the union
// package @tensorflow/tfjs, or tfjs-core, tfjs-layers and a backend of the app's
// choosing (tfjs-backend-cpu, installed with tfjs-backend-wasm). `tfl` builds models.
const layout = process.env.FSAM_LAYOUT;
let tf, tfl;
if (layout === 'tfjs') {
  tf = await import('@tensorflow/tfjs');
  tfl = tf;
} else if (layout === 'separate') {
  tf = await import('@tensorflow/tfjs-core');
  tfl = await import('@tensorflow/tfjs-layers');
  await import('@tensorflow/tfjs-backend-cpu');
} else {
  throw new Error(`FSAM_LAYOUT must be 'tfjs' or 'separate', got ${layout}`);
}
export { tf, tfl, layout };
