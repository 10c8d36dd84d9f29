// What the tests of the built app share: where `npm run build` put it, and the desktop app's
// own trainer launcher (electron/main/trainerProcess.ts) with Electron's utilityProcess.fork
// played by a Node child process that is given a utilityProcess's parentPort
// (utilityParentPort.mjs). The trainer bundle runs exactly as shipped: plain Node, no tsx.
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { UtilityProcess } from 'electron';
import { utilityTrainerLauncher, type ForkFn } from '../../electron/main/trainerProcess';
import type { TrainerLauncher } from '../../src/host/trainerHost';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const OUT = path.join(ROOT, 'out');
const SHIM = pathToFileURL(path.join(import.meta.dirname, 'utilityParentPort.mjs')).href;

/** Fail early, and plainly, when the suite runs without a build. */
export function assertBuilt(out = OUT): void {
  for (const f of [
    'main/index.js',
    'main/trainer.js',
    'preload/index.cjs',
    'renderer/index.html',
  ]) {
    if (!existsSync(path.join(out, f))) {
      throw new Error(
        `${path.join(out, f)} is missing: run \`npm run build\` first (npm run test:built does)`,
      );
    }
  }
}

/** utilityProcess.fork, as far as the launcher uses it, on a Node child process. */
export const nodeUtilityFork: ForkFn = (modulePath, args, options) => {
  const child = fork(modulePath, args ?? [], {
    execArgv: ['--import', SHIM],
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: options?.env as NodeJS.ProcessEnv | undefined,
  });
  const proc = Object.assign(new EventEmitter(), {
    get pid() {
      return child.pid;
    },
    stdout: child.stdout,
    stderr: child.stderr,
    postMessage: (m: unknown) => {
      if (child.connected) child.send(m as never);
    },
    kill: () => child.kill('SIGTERM'),
  });
  child.on('message', (m) => proc.emit('message', m));
  child.on('exit', (code, signal) => proc.emit('exit', code ?? (signal ? 1 : 0)));
  return proc as unknown as UtilityProcess;
};

/** The desktop app's launcher on the built trainer (`out/main/trainer.js` of `out`). */
export function builtTrainerLauncher(opts: {
  runsRoot: string;
  log?: (line: string) => void;
  out?: string;
  /** The example runs folder the desktop app passes (default: none, the trainer's own). */
  examplesRoot?: string;
}): TrainerLauncher {
  return utilityTrainerLauncher({
    fork: nodeUtilityFork,
    entry: path.join(opts.out ?? OUT, 'main', 'trainer.js'),
    runsRoot: opts.runsRoot,
    ...(opts.examplesRoot ? { examplesRoot: opts.examplesRoot } : {}),
    log: opts.log,
  });
}
