// Training kernels that tfjs-backend-wasm lacks, registered for 'wasm' by ready().
export function registerTrainingKernels(): void {
  // Filled by the training-kernels work (issue 4).
}
