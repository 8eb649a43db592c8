// Ctrl-C and SIGTERM, from the start of a command to its very end: one line saying what
// was kept and how to continue, the command's cleanup (the --out lock), status 130.
// Checkpoint and output writes are synchronous, so a signal never cuts one short.

/** Where a command is; the message on an interruption follows from it. */
export interface RunStatus {
  /** The checkpoint the current run writes (or resumes), once known. */
  checkpoint?: string;
  /** The epoch the checkpoint holds (0: none yet). */
  epochsSaved: number;
  /** All epochs trained, the outputs (model, report, summary) being written. */
  writingOutputs: boolean;
  /** The checkpoint existed before this command (resume). */
  resumed: boolean;
}

export const newStatus = (): RunStatus => ({ epochsSaved: 0, writingOutputs: false, resumed: false });

export function interruptedMessage(signal: string, s: RunStatus): string {
  const resume = `fsam-edge resume --checkpoint ${s.checkpoint}`;
  if (s.writingOutputs) return `fsam-edge: interrupted (${signal}) while writing the outputs; training had finished (checkpoint ${s.checkpoint}); write them with: ${resume}`;
  if (s.epochsSaved > 0) return `fsam-edge: interrupted (${signal}) during epoch ${s.epochsSaved + 1}; the checkpoint after epoch ${s.epochsSaved} is ${s.checkpoint}; continue with: ${resume}`;
  if (s.resumed) return `fsam-edge: interrupted (${signal}) before an epoch finished; ${s.checkpoint} is unchanged; continue with: ${resume}`;
  return `fsam-edge: interrupted (${signal}) before the first epoch finished; no checkpoint was written`;
}

/** Installs the handlers; returns their removal. */
export function onInterrupt(status: RunStatus, cleanup: () => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    cleanup();
    process.stderr.write(`${interruptedMessage(signal, status)}\n`);
    process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
