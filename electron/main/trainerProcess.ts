// The trainer as a child of the desktop app's main process: an Electron utilityProcess
// running the bundled trainer entry (src/host/trainerProcess.ts, which detects its
// parentPort). Wrapped as the TrainerChannel the shared TrainerHost (src/host/trainerHost.ts)
// drives, so the desktop app, the web host and the CLI share one host: request routing,
// stream subscriptions, crash reporting and restart on the next command.
import type { ForkOptions, UtilityProcess } from 'electron';
import {
  SHUTDOWN_GRACE_MS,
  captureOutput,
  type TrainerChannel,
  type TrainerLauncher,
} from '../../src/host/trainerHost';

export type ForkFn = (modulePath: string, args?: string[], options?: ForkOptions) => UtilityProcess;

export interface UtilityTrainerOptions {
  fork: ForkFn;
  /** Built trainer entry (out/main/trainer.js). */
  entry: string;
  /** Directory of the run folders. */
  runsRoot: string;
  /** The example runs shipped with the app (examplesFolder.ts); default: the trainer's own. */
  examplesRoot?: string;
  env?: Record<string, string>;
  log?: (line: string) => void;
  /** How long the trainer may take to checkpoint and exit after the shutdown message before it is killed. */
  graceMs?: number;
}

export function utilityTrainerLauncher(opts: UtilityTrainerOptions): TrainerLauncher {
  return (): TrainerChannel => {
    const args = ['--runs', opts.runsRoot];
    if (opts.examplesRoot) args.push('--examples', opts.examplesRoot);
    const child = opts.fork(opts.entry, args, {
      serviceName: 'Meta-RL Studio trainer',
      stdio: 'pipe',
      env: { ...process.env, ...opts.env },
    });
    const output = captureOutput([child.stdout, child.stderr], (line) =>
      opts.log?.(`[trainer] ${line}`),
    );
    let exited = false;
    child.on('exit', () => (exited = true));
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
      // The protocol's shutdown message, not utilityProcess.kill(): on Windows that kills at
      // once (no SIGTERM there), losing the live run's last iterations. The trainer checkpoints
      // and exits by itself; if it has not after the grace period, it is killed.
      terminate: () => {
        if (exited) return;
        child.postMessage({ kind: 'shutdown' });
        const timer = setTimeout(() => {
          if (!exited) child.kill();
        }, opts.graceMs ?? SHUTDOWN_GRACE_MS);
        child.once('exit', () => clearTimeout(timer));
      },
      kill: () => {
        if (child.pid) process.kill(child.pid, 'SIGKILL');
      },
    };
  };
}
