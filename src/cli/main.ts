// fsam-edge's command line. Every failure the user can fix (bad flags, unreadable or
// malformed files, a budget too small, a bad checkpoint) is one line on stderr and
// exit status 2; training that diverges is one line and status 1; anything else is a
// bug, reported with its stack and status 1.
import { personalize, compare, resume, type Context } from './commands';
import { plan } from './plan_command';
import { terminalOutput } from './ui';
import { UsageError } from './args';
import { DataError } from '../data/dataset_text';
import { CheckpointError } from '../checkpoint/format';
import { ModelFileError } from '../node/model_files';
import { BudgetError } from '../personalize/run';
import { ArenaBudgetError, MemoryBudgetError } from '../core/errors';
import { DivergedError } from '../personalize/train';
import { claimOutDir } from './out_dir';
import { newStatus, onInterrupt } from './interrupt';

const USAGE = `usage: fsam-edge <command> [flags]

commands:
  personalize   fine-tune a model on a user's data (default: the built-in digits task)
  compare       the same task with SGD, SAM and F-SAM side by side
  resume        continue a run from its checkpoint
  plan          a run's memory, planned without running it

fsam-edge <command> --help lists the command's flags.
`;

const COMMANDS: Record<string, (argv: string[], ctx: Context) => Promise<void>> = { personalize, compare, resume, plan };

/** Errors that are the input's fault, not fsam-edge's. */
function isUserError(err: unknown): err is Error {
  return err instanceof UsageError || err instanceof DataError || err instanceof CheckpointError || err instanceof ModelFileError ||
    err instanceof BudgetError || err instanceof ArenaBudgetError || err instanceof MemoryBudgetError;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`fsam-edge: unknown command '${command}' (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  const out = terminalOutput();
  const status = newStatus();
  const cleanups: (() => void)[] = [];
  const cleanup = () => { out.endProgress(); for (const c of cleanups.splice(0).reverse()) c(); };
  const ctx: Context = {
    out, argvText: ['fsam-edge', ...argv].join(' '), log: (s) => out.line(s), status,
    claimOut: (dir) => { const claim = claimOutDir(dir, command); cleanups.push(() => claim.release()); },
  };
  // From here to the end, Ctrl-C or SIGTERM says what was kept, releases --out, exits 130.
  const stopListening = onInterrupt(status, cleanup);
  try {
    await run(rest, ctx);
    return 0;
  } catch (err) {
    cleanup();
    if (isUserError(err)) {
      process.stderr.write(`fsam-edge ${command}: ${err.message.split('\n')[0]}\n`);
      return 2;
    }
    if (err instanceof DivergedError) {
      // The checkpoint of the last finished epoch stays; nothing after it was written.
      process.stderr.write(`fsam-edge ${command}: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`fsam-edge ${command}: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  } finally {
    stopListening();
    cleanup();
  }
}

// The Node-only parts that the library bundle leaves out, for tests and for scripts
// (such as the study) that share the CLI's data and checkpoints.
export { ready, tf, layers, fileSystem } from '../index';
export * as checkpoint from '../node/checkpoint_exports';
export * as data from '../node/data_exports';
export { buildDigitCnn, cachedBaseModel, defaultCacheDir, baseModelKey, BASE_RECIPE } from './base_model';
export { claimOutDir, LOCK_NAME } from './out_dir';
export { trainingOptimizer } from '../personalize/optimizers';
export { crossEntropy, outputKind } from '../personalize/train';
