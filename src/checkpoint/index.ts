// Checkpoints: one versioned, checksummed file per training run, as bytes (platform-neutral).
export { encodeTrainingCheckpoint, decodeTrainingCheckpoint, withWarningsHeld, modelArtifacts, cloneModel, weightBytes, ownBuffer, KIND } from './checkpoint';
export type { CheckpointContent, LoadedCheckpoint } from './checkpoint';
export { encodeCheckpoint, decodeCheckpoint, CheckpointError, FORMAT_VERSION, MAGIC, type DigestFunction } from './format';
export { Sha256, sha256, sha256Hex, toHex } from './sha256';
export { checkModelJson, checkWeightSpecs, checkWeightValues, checkShardSizes, shardFile, MODEL_LIMITS, type ModelLimits } from '../index';
