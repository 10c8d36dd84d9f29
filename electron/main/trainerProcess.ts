// The trainer as a child of the desktop app's main process: an Electron utilityProcess
// running the bundled trainer entry (src/host/trainerProcess.ts, which detects its
// parentPort). Wrapped as the TrainerChannel the shared TrainerHost (src/host/trainerHost.ts)
// drives, so the desktop app, the web host and the CLI share one host: request routing,
// stream subscriptions, crash reporting and restart on the next command.
import type { ForkOptions, UtilityProcess } from 'electron';
import { captureOutput, type TrainerChannel, type TrainerLauncher } from '../../src/host/trainerHost';

export type ForkFn = (modulePath: string, args?: string[], options?: ForkOptions) => UtilityProcess;

export interface UtilityTrainerOptions {
  fork: ForkFn;
  /** Built trainer entry (out/main/trainer.js). */
  entry: string;
  /** Directory of the run folders. */
  runsRoot: string;
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export function utilityTrainerLauncher(opts: UtilityTrainerOptions): TrainerLauncher {
  return (): TrainerChannel => {
    const child = opts.fork(opts.entry, ['--runs', opts.runsRoot], {
      serviceName: 'Meta-RL Studio trainer',
      stdio: 'pipe',
      env: { ...process.env, ...opts.env },
    });
    const output = captureOutput([child.stdout, child.stderr], (line) => opts.log?.(`[trainer] ${line}`));
    return {
      get pid() {
        return child.pid;
      },
      send: (m) => child.postMessage(m),
      onMessage: (h) => child.on('message', (m: unknown) => h(m)),
      onExit: (h) =>
        child.on('exit', (code: number) => {
          h(output.exitReason(`exit code ${code}`));
        }),
      // utilityProcess.kill() sends SIGTERM: the trainer checkpoints a live run, then exits.
      terminate: () => void child.kill(),
      kill: () => {
        if (child.pid) process.kill(child.pid, 'SIGKILL');
      },
    };
  };
}
