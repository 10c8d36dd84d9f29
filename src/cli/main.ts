// `metarl`: the command-line face of Meta-RL Studio. Each subcommand lives in its own
// module under src/cli/commands and registers itself here.
import { Command, CommanderError } from 'commander';
import { isEntryPoint } from '../host/entryPoint';
import { registerEnvs } from './commands/envs';
import { registerEval } from './commands/eval';
import { registerServe } from './commands/serve';
import { registerTrain } from './commands/train';
import { registerWorker } from './commands/worker';
import { ExitStatus } from './commands/common';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('metarl')
    .description(
      'Meta-RL Studio: meta-train MAML and RL² on physics task families and watch them adapt',
    )
    .showHelpAfterError()
    .exitOverride();
  registerEnvs(program);
  registerTrain(program);
  registerEval(program);
  registerServe(program);
  registerWorker(program);
  return program;
}

/**
 * Run one command; resolves with its exit status (the caller sets the process's): 0 on
 * success, 1 on an error or a refusal (its message printed), a failed or crashed run, or
 * 128 + n for a run stopped by signal n. Commands never set process.exitCode themselves:
 * they throw, so this value is the only one.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message already; help and version exit 0.
      return err.exitCode;
    }
    if (err instanceof ExitStatus) {
      if (err.message) console.error(`metarl: ${err.message}`);
      return err.code;
    }
    console.error(`metarl: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (isEntryPoint(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
