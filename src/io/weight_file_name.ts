// The name of the weights file fsam-edge writes beside model.json: weights.<h>.bin, where
// <h> is the first 16 hex digits of the SHA-256 of its bytes. A new save's weights never
// overwrite the old ones, so model.json's atomic rename is the single moment a saved model
// changes (./file_system.ts): a crash before it leaves the old pair, after it the new one.
// The name is also a checksum: a loader (the file:// handler, the app's picked files)
// refuses such a file whose bytes do not match it. Files other tools name (tfjs-node's
// weights.bin, tfjs's group1-shard1of1.bin) carry no checksum and load as before.
// Pure: no file system, so the CLI, the handler and the app share it.
import { sha256Hex } from '../checkpoint/sha256';
import { ModelFileError } from './model_json';

const CHECKSUMMED = /^weights\.([0-9a-f]{16})\.bin$/;
/** What fsam-edge wrote before weight files carried their checksum (and what tfjs-node writes). */
const LEGACY = 'weights.bin';

const checksumOf = (bytes: Uint8Array) => sha256Hex(bytes).slice(0, 16);

/** The file name for weights `bytes`: the same bytes, the same name. */
export function weightFileName(bytes: Uint8Array): string {
  return `weights.${checksumOf(bytes)}.bin`;
}

/**
 * Refuses a weights file whose name carries a checksum its bytes do not match. `name` is
 * the file's name (its last path part is what counts); `shown` names it in the error.
 */
export function checkWeightFileName(name: string, bytes: Uint8Array, shown: string = name): void {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const m = CHECKSUMMED.exec(base);
  if (m && checksumOf(bytes) !== m[1]) throw new ModelFileError(`weights file ${shown} does not match the checksum in its name: damaged or edited`);
}

/**
 * The names in a model's folder that are fsam-edge's own weight files (weights.bin and
 * weights.<16 hex>.bin) and not among `kept`: what a save leaves behind once its
 * model.json no longer names them. Nothing else in the folder is ever listed.
 */
export function staleWeightFiles(names: readonly string[], kept: readonly string[]): string[] {
  return names.filter((n) => (n === LEGACY || CHECKSUMMED.test(n)) && !kept.includes(n));
}
