// Entry point of the trainer process. It speaks the protocol (src/shared/protocol.ts) with
// its parent over whichever channel the process has:
//   - Electron utilityProcess: `process.parentPort` (message events carry `.data`);
//   - Node child_process.fork: `process.send` / `process.on('message')`.
// Arguments: --runs <dir> (run directories; default ./runs), --preload <module> (repeatable:
// modules imported first, e.g. to register extra learners in tests).
// On SIGTERM or when the parent goes away, the live run is stopped with a checkpoint before
// the process exits. SIGINT is ignored: the parent owns Ctrl-C.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StreamName, StreamPayloads, WireMessage } from '../shared/protocol';
import type { Trainer } from '../training/trainer';
import { isEntryPoint } from './entryPoint';

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

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
      // A utilityProcess is killed with its parent; nothing to watch.
      onDisconnect: () => {},
    };
  }
  if (typeof process.send !== 'function') {
    throw new Error('trainerProcess must be started by a parent (child_process.fork or Electron utilityProcess)');
  }
  return {
    send: (m) => {
      if (process.connected) process.send!(m);
    },
    onMessage: (h) => process.on('message', (m) => h(m)),
    onDisconnect: (h) => process.on('disconnect', h),
  };
}

/** Serve the protocol on `port` until the parent disconnects or a signal arrives. */
export async function serveTrainer(port: TrainerPort, runsRoot: string): Promise<Trainer> {
  // Loaded here, not at the top: tfjs and the learners take seconds to import, and the
  // signal handlers of the entry below must be in place before that.
  const { Trainer } = await import('../training/trainer');
  const emit = <S extends StreamName>(channel: S, payload: StreamPayloads[S]) => port.send({ kind: 'event', channel, payload } as WireMessage);
  const trainer = new Trainer({ runsRoot, emit });
  port.onMessage((raw) => {
    void trainer.handle(raw).then((reply) => {
      if (reply) port.send(reply);
    });
  });
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    trainer
      .shutdown()
      .catch((err: Error) => process.stderr.write(`trainer shutdown: ${err.message}\n`))
      .finally(() => process.exit(code));
  };
  port.onDisconnect(() => exit(0));
  process.on('SIGTERM', () => exit(0));
  return trainer;
}

function parseArgs(argv: string[]): { runs: string; preload: string[] } {
  let runs = 'runs';
  const preload: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = argv[++i];
    else if (argv[i] === '--preload') preload.push(argv[++i]);
  }
  return { runs: path.resolve(runs), preload };
}

const isMain = isEntryPoint(import.meta.url);
const isUtility = !!(process as unknown as { parentPort?: unknown }).parentPort;
if (isMain || isUtility) {
  // Ctrl-C in a terminal reaches the whole process group: the parent (CLI) decides how to
  // stop the run, so the trainer must not act on it — not even while it is still loading.
  process.on('SIGINT', () => {});
  // Until serveTrainer takes over, SIGTERM simply ends the process (nothing to save yet).
  const early = () => process.exit(0);
  process.once('SIGTERM', early);
  const args = parseArgs(process.argv.slice(2));
  for (const m of args.preload) await import(pathToFileURL(path.resolve(m)).href);
  const port = parentTrainerPort();
  await serveTrainer(port, args.runs);
  process.off('SIGTERM', early);
}
