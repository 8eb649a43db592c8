// Checkpoints: one atomic, versioned, checksummed file per training run.
export { saveCheckpoint, loadCheckpoint, modelArtifacts, weightBytes, KIND } from './checkpoint';
export { encodeCheckpoint, decodeCheckpoint, CheckpointError, FORMAT_VERSION, MAGIC, sha256Hex } from './format';
export { loadModelFiles, saveModelFiles, ModelFileError } from './model_files';
export { writeFileAtomic, removeStaleTemporaries, makeDirectories, type AtomicFs } from './atomic';
export { checkModelJson, checkWeightSpecs, checkWeightValues, checkShardSizes, shardFile, MODEL_LIMITS, type ModelLimits } from '../index';
