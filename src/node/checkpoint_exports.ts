// What dist/cli.js exports as `checkpoint`: the platform-neutral checkpoint modules with
// their Node adapters (checkpoint and model files, atomic writes).
export * from '../checkpoint/index';
export { saveCheckpoint, loadCheckpoint, nodeSha256 } from './checkpoint_file';
export { loadModelFiles, saveModelFiles, ModelFileError } from './model_files';
export { writeFileAtomic, makeDirectories, type AtomicFs } from './atomic';
