// The training kernels tfjs-backend-wasm lacks: pure functions over byte pointers into
// tfjs-wasm's own heap, no allocation. Each family has a _simd kernel and its _scalar
// twin, which sums in the same order (so the two agree bit for bit).
export * from './conv2d_backprop_filter';
export * from './conv2d_backprop_input';
export * from './depthwise_backprop';
export * from './segment_sum';
export * from './max_pool_grad';
export * from './broadcast';
export * from './clip';
export * from './matmul';
export * from './relu_grad';
export * from './conv2d';
export * from './max_pool';
export * from './relu';
export * from './max_pool_relu_grad';
