// `metarl`: the command-line face of Meta-RL Studio. Each subcommand lives in its own
// module under src/cli/commands and registers itself here.
import { Command, CommanderError } from 'commander';
import { registerEnvs } from './commands/envs';
import { registerEval } from './commands/eval';
import { registerServe } from './commands/serve';
import { registerTrain } from './commands/train';
import { registerWorker } from './commands/worker';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('metarl')
    .description('Meta-RL Studio: meta-train MAML and RL² on physics task families and watch them adapt')
    .showHelpAfterError()
    .exitOverride();
  registerEnvs(program);
  registerTrain(program);
  registerEval(program);
  registerServe(program);
  registerWorker(program);
  return program;
}

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
    console.error(`metarl: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
