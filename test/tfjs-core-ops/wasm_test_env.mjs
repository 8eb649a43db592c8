// tfjs-core's jasmine_util runs each describeWithFlags block once per registered test
// environment; this registers the one: 'wasm', data-sync, SIMD build only. Imported
// before the test files, since they call describeWithFlags as they load.
import { registerTestEnv } from '@tensorflow/tfjs-core/dist/jasmine_util';

registerTestEnv({
  name: 'wasm',
  backendName: 'wasm',
  flags: { WASM_HAS_MULTITHREAD_SUPPORT: false, WASM_HAS_SIMD_SUPPORT: true },
  isDataSync: true,
});
