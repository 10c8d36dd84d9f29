// Entry point of the trainer process. It speaks the protocol (src/shared/protocol.ts) with
// its parent over whichever channel the process has:
//   - Electron utilityProcess: `process.parentPort` (message events carry `.data`);
//   - Node child_process.fork: `process.send` / `process.on('message')`.
// Arguments: --runs <dir> (run directories; default ./runs), --examples <dir> (the read-only
// example runs; default the checkout's examples/runs, see src/training/exampleRuns.ts; the
// packaged desktop app passes its resources folder's), --preload <module> (repeatable:
// modules imported first, e.g. to register extra learners in tests).
// It stops the live run with a checkpoint, then exits, on any of: the parent's `shutdown`
// message (how every host stops it, on every platform), SIGTERM or SIGHUP, and the parent
// going away (IPC 'disconnect', Electron's parentPort 'close', or the parent pid gone: a
// trainer never outlives its owner, even one killed with SIGKILL). SIGINT is ignored: the
// parent owns Ctrl-C.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  isShutdownMessage,
  type StreamName,
  type StreamPayloads,
  type WireMessage,
} from '../shared/protocol';
import type { Trainer } from '../training/trainer';
import { isEntryPoint } from './entryPoint';

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  on(event: 'close', listener: () => void): void;
  postMessage(message: unknown): void;
}

/** How often the parent pid is checked (the fallback when no channel reports its end). */
const PARENT_POLL_MS = 1000;

export interface TrainerPort {
  send(message: WireMessage): void;
  onMessage(handler: (raw: unknown) => void): void;
  onDisconnect(handler: () => void): void;
}

/** The channel to the parent: Electron's parentPort if present, else Node's IPC. */
export function parentTrainerPort(): TrainerPort {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return {
      send: (m) => parentPort.postMessage(m),
      onMessage: (h) => parentPort.on('message', (e) => h(e.data)),
      onDisconnect: (h) => parentPort.on('close', h),
    };
  }
  if (typeof process.send !== 'function') {
    throw new Error(
      'trainerProcess must be started by a parent (child_process.fork or Electron utilityProcess)',
    );
  }
  return {
    send: (m) => {
      // A parent killed outright leaves `connected` true until the 'disconnect' event: a
      // send in that window fails with EPIPE, which Node raises as an 'error' event on the
      // process (an uncaught exception) unless a callback takes it. The disconnect handler
      // then stops the run with its checkpoint.
      if (process.connected) process.send!(m, undefined, {}, () => {});
    },
    onMessage: (h) => process.on('message', (m) => h(m)),
    onDisconnect: (h) => {
      process.on('disconnect', h);
      // Gone before this handler existed (the parent died while this process was loading).
      if (!process.connected) queueMicrotask(h);
    },
  };
}

/** Call `onGone` once the process that started this one no longer exists. */
export function watchParent(
  onGone: () => void,
  pid = process.ppid,
  everyMs = PARENT_POLL_MS,
): () => void {
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') {
        clearInterval(timer);
        onGone();
      }
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Serve the protocol on `port` until the parent disconnects or a signal arrives. */
export async function serveTrainer(
  port: TrainerPort,
  runsRoot: string,
  examplesRoot?: string,
): Promise<Trainer> {
  // Loaded here, not at the top: tfjs and the learners take seconds to import, and the
  // signal handlers of the entry below must be in place before that.
  const { Trainer } = await import('../training/trainer');
  const emit = <S extends StreamName>(channel: S, payload: StreamPayloads[S]) =>
    port.send({ kind: 'event', channel, payload } as WireMessage);
  const trainer = new Trainer({ runsRoot, emit, ...(examplesRoot ? { examplesRoot } : {}) });
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    trainer
      .shutdown()
      .catch((err: Error) => process.stderr.write(`trainer shutdown: ${err.message}\n`))
      .finally(() => process.exit(code));
  };
  port.onMessage((raw) => {
    if (isShutdownMessage(raw)) return exit(0);
    void trainer.handle(raw).then((reply) => {
      if (reply) port.send(reply);
    });
  });
  port.onDisconnect(() => exit(0));
  watchParent(() => exit(0));
  process.on('SIGTERM', () => exit(0));
  process.on('SIGHUP', () => exit(0));
  return trainer;
}

function parseArgs(argv: string[]): { runs: string; examples?: string; preload: string[] } {
  let runs = 'runs';
  let examples: string | undefined;
  const preload: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = argv[++i];
    else if (argv[i] === '--examples') examples = argv[++i];
    else if (argv[i] === '--preload') preload.push(argv[++i]);
  }
  return {
    runs: path.resolve(runs),
    ...(examples ? { examples: path.resolve(examples) } : {}),
    preload,
  };
}

const isMain = isEntryPoint(import.meta.url);
const isUtility = !!(process as unknown as { parentPort?: unknown }).parentPort;
if (isMain || isUtility) {
  // Ctrl-C in a terminal reaches the whole process group: the parent (CLI) decides how to
  // stop the run, so the trainer must not act on it — not even while it is still loading.
  process.on('SIGINT', () => {});
  // A parent that died closes our output pipes: a failed write must not crash the shutdown.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  // Until serveTrainer takes over, SIGTERM / SIGHUP simply end the process (nothing to save yet).
  const early = () => process.exit(0);
  process.once('SIGTERM', early);
  process.once('SIGHUP', early);
  const args = parseArgs(process.argv.slice(2));
  for (const m of args.preload) await import(pathToFileURL(path.resolve(m)).href);
  const port = parentTrainerPort();
  await serveTrainer(port, args.runs, args.examples);
  process.off('SIGTERM', early);
  process.off('SIGHUP', early);
}
