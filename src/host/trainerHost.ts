// The host side of the trainer: starts the trainer process through a pluggable launcher
// (child_process.fork here; Electron's utilityProcess in the desktop app), relays protocol
// calls to it, and fans its events out to any number of client connections, each with its
// own stream subscriptions. A trainer that dies is reported to every client as a 'crashed'
// status plus an error event; pending calls are rejected with code 'crashed'; the next
// command starts a fresh trainer.
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  ProtocolError,
  STREAM_NAMES,
  isLiveState,
  parseCall,
  parseCommand,
  parseServerMessage,
  type CommandChannel,
  type EventMessage,
  type ReplyMessage,
  type StreamName,
  type TrainerStatus,
  type WireMessage,
} from '../shared/protocol';

/** A running trainer process as the host needs it. */
export interface TrainerChannel {
  send(message: WireMessage): void;
  onMessage(handler: (raw: unknown) => void): void;
  onExit(handler: (description: string) => void): void;
  /** Ask it to stop (the protocol's shutdown message: it checkpoints a live run) and exit; a launcher falls back to a signal if it does not. */
  terminate(): void;
  /** Kill it at once. */
  kill(): void;
  readonly pid?: number;
}
export type TrainerLauncher = () => TrainerChannel;

export interface ForkOptions {
  runsRoot: string;
  /** Modules the trainer imports first (e.g. test learners). */
  preload?: string[];
  /** Receives the trainer's stderr/stdout lines. */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export const TRAINER_ENTRY = fileURLToPath(new URL('./trainerProcess.ts', import.meta.url));
/** How long a trainer asked to shut down may take (finishing its iteration, checkpointing) before it gets a signal. */
export const SHUTDOWN_GRACE_MS = 20_000;
/** tsx's loader, resolved from here (`--import tsx` alone would resolve from the cwd); resolved lazily so bundles that never fork (Electron main) do not need tsx. */
function tsxLoader(): string {
  return pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/package.json')
      .replace(/package\.json$/, 'dist/loader.mjs'),
  ).href;
}

/** Launch the trainer as a Node child process running the TypeScript sources through tsx. */
export function forkTrainer(opts: ForkOptions): TrainerLauncher {
  return () => {
    const args = [
      '--runs',
      opts.runsRoot,
      ...(opts.preload ?? []).flatMap((m) => ['--preload', m]),
    ];
    const child: ChildProcess = fork(TRAINER_ENTRY, args, {
      execArgv: ['--import', tsxLoader()],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: opts.env ?? process.env,
    });
    const output = captureOutput([child.stdout, child.stderr], opts.log);
    return {
      pid: child.pid,
      send: (m) => {
        if (child.connected) child.send(m);
      },
      onMessage: (h) => child.on('message', h),
      onExit: (h) =>
        child.on('exit', (code, signal) => {
          h(output.exitReason(signal ? `killed by ${signal}` : `exit code ${code}`));
        }),
      terminate: () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        if (child.connected) child.send({ kind: 'shutdown' });
        else child.kill('SIGTERM');
        // The trainer handles SIGTERM as it does the message: a fallback for a broken channel.
        const timer = setTimeout(() => child.kill('SIGTERM'), SHUTDOWN_GRACE_MS);
        timer.unref();
        child.once('exit', () => clearTimeout(timer));
      },
      kill: () => child.kill('SIGKILL'),
    };
  };
}

/** A readable stream of a trainer's output (child_process and utilityProcess both give these). */
interface OutputStream {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
}

/**
 * Keep the last lines a trainer wrote (stdout and stderr, each also passed to `log`) so an
 * unexpected exit can say why: the reason gets the last error line that is not a stack frame.
 */
export function captureOutput(
  streams: (OutputStream | null | undefined)[],
  log?: (line: string) => void,
): { exitReason(why: string): string } {
  const tail: string[] = [];
  const onData = (d: Buffer) => {
    for (const line of d.toString().split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      log?.(line);
    }
  };
  for (const s of streams) s?.on('data', onData);
  return {
    exitReason(why: string): string {
      const last = tail
        .filter((l) => /\b\w*Error\b/.test(l) && !/^\s+at /.test(l))
        .pop()
        ?.trim();
      return last ? `${why}: ${last}` : why;
    },
  };
}

type Outgoing = ReplyMessage | EventMessage;

/** One client (a WebSocket, an Electron window, the CLI) attached to the host. */
export interface HostConnection {
  /** Feed a message received from the client (parsed object or JSON text). */
  handle(raw: unknown): void;
  close(): void;
}

interface Pending {
  conn: ConnectionState;
  clientId: number;
  channel: CommandChannel;
}
interface ConnectionState {
  send: (m: Outgoing) => void;
  streams: Set<StreamName>;
  open: boolean;
}

const IDLE: TrainerStatus = {
  state: 'idle',
  runId: null,
  family: null,
  algo: null,
  iteration: 0,
  iterations: 0,
  backend: null,
  elapsedMs: 0,
  etaMs: null,
};

export class TrainerHost {
  private trainer: TrainerChannel | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly connections = new Set<ConnectionState>();
  private lastStatus: TrainerStatus = IDLE;
  private closed = false;
  /** Called for every event (after fan-out); for logging and measurement. */
  onEvent: ((m: EventMessage) => void) | null = null;

  constructor(private readonly launch: TrainerLauncher) {}

  get status(): TrainerStatus {
    return this.lastStatus;
  }

  get trainerPid(): number | undefined {
    return this.trainer?.pid;
  }

  private ensureTrainer(): TrainerChannel {
    if (this.closed) throw new ProtocolError('The host is shutting down', 'closed');
    if (this.trainer) return this.trainer;
    const t = this.launch();
    t.onMessage((raw) => this.fromTrainer(raw));
    t.onExit((why) => this.trainerExited(t, why));
    this.trainer = t;
    return t;
  }

  private fromTrainer(raw: unknown): void {
    let msg;
    try {
      msg = parseServerMessage(raw);
    } catch {
      return; // the trainer is ours; a malformed message is a bug, not something to relay
    }
    if (msg.kind === 'reply') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (p.conn.open) p.conn.send({ ...msg, id: p.clientId });
      return;
    }
    if (msg.channel === 'mrl:status.changed') this.lastStatus = msg.payload as TrainerStatus;
    this.broadcast(msg as EventMessage);
  }

  private broadcast(msg: EventMessage): void {
    for (const c of this.connections) if (c.open && c.streams.has(msg.channel)) c.send(msg);
    this.onEvent?.(msg);
  }

  private trainerExited(t: TrainerChannel, why: string): void {
    if (this.trainer !== t) return;
    this.trainer = null;
    if (this.closed) return;
    const s = this.lastStatus;
    const resumable = !s.runId
      ? ''
      : typeof s.checkpoint === 'number'
        ? `; the run can be resumed from its checkpoint ${s.checkpoint}`
        : s.checkpoint === null
          ? '; the run had no checkpoint yet'
          : '; the run can be resumed from its last checkpoint, if it has one';
    const message = `The trainer process stopped unexpectedly (${why})${s.runId ? ` while run ${s.runId} was ${s.state}` : ''}. A new trainer starts with the next command${resumable}.`;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.conn.open)
        p.conn.send({
          kind: 'reply',
          id: p.clientId,
          ok: false,
          error: { message: `${p.channel} failed: ${message}`, code: 'crashed' },
        });
    }
    const wasLive = isLiveState(this.lastStatus.state);
    this.lastStatus =
      wasLive || this.lastStatus.state === 'idle'
        ? { ...this.lastStatus, state: 'crashed', etaMs: null, message }
        : this.lastStatus;
    this.broadcast({
      kind: 'event',
      channel: 'mrl:status.changed',
      payload: { ...this.lastStatus, state: 'crashed', message },
    });
    this.broadcast({
      kind: 'event',
      channel: 'mrl:error.raised',
      payload: { runId: this.lastStatus.runId, iteration: null, message, fatal: true },
    });
  }

  /** Attach a client; `send` delivers replies and the events it subscribed to. */
  connect(send: (m: Outgoing) => void): HostConnection {
    const conn: ConnectionState = { send, streams: new Set(), open: true };
    this.connections.add(conn);
    return {
      handle: (raw) => this.fromClient(conn, raw),
      close: () => {
        conn.open = false;
        this.connections.delete(conn);
      },
    };
  }

  private fromClient(conn: ConnectionState, raw: unknown): void {
    let parsed: unknown = raw;
    if (typeof raw === 'string') {
      try {
        parsed = JSON.parse(raw);
      } catch {
        this.clientError(conn, 'Malformed message: not JSON');
        return;
      }
    }
    const rawId = (parsed as { id?: unknown } | null)?.id;
    const id = Number.isInteger(rawId) && (rawId as number) >= 0 ? (rawId as number) : null;
    const reply = (r: { ok: true; result: unknown } | { ok: false; error: ProtocolError }) => {
      if (id === null || !conn.open) return;
      conn.send(
        r.ok
          ? { kind: 'reply', id, ok: true, result: r.result }
          : {
              kind: 'reply',
              id,
              ok: false,
              error: { message: r.error.message, code: r.error.code },
            },
      );
    };
    try {
      const call = parseCall(parsed);
      const payload = parseCommand(call.channel, call.payload);
      if (call.channel === 'mrl:stream.subscribe' || call.channel === 'mrl:stream.unsubscribe') {
        const streams = (payload as { streams: StreamName[] }).streams;
        for (const s of streams) {
          if (call.channel === 'mrl:stream.subscribe') conn.streams.add(s);
          else conn.streams.delete(s);
        }
        reply({ ok: true, result: { streams: STREAM_NAMES.filter((s) => conn.streams.has(s)) } });
        // A new status subscriber learns where things stand at once.
        if (call.channel === 'mrl:stream.subscribe' && streams.includes('mrl:status.changed')) {
          conn.send({ kind: 'event', channel: 'mrl:status.changed', payload: this.lastStatus });
        }
        return;
      }
      const trainer = this.ensureTrainer();
      const hostId = this.nextId++;
      this.pending.set(hostId, { conn, clientId: call.id, channel: call.channel });
      trainer.send({ kind: 'call', id: hostId, channel: call.channel, payload });
    } catch (err) {
      const e =
        err instanceof ProtocolError
          ? err
          : new ProtocolError(err instanceof Error ? err.message : String(err), 'failed');
      if (id === null) this.clientError(conn, e.message);
      else reply({ ok: false, error: e });
    }
  }

  private clientError(conn: ConnectionState, message: string): void {
    if (conn.open && conn.streams.has('mrl:error.raised')) {
      conn.send({
        kind: 'event',
        channel: 'mrl:error.raised',
        payload: { runId: null, iteration: null, message, fatal: false },
      });
    }
  }

  /** Stop the trainer (it checkpoints a live run) and wait for it to exit (kills after `timeoutMs`). */
  async close(timeoutMs = 30_000): Promise<void> {
    this.closed = true;
    const t = this.trainer;
    if (!t) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        t.kill();
        resolve();
      }, timeoutMs);
      t.onExit(() => {
        clearTimeout(timer);
        resolve();
      });
      t.terminate();
    });
    this.trainer = null;
  }

  /** Kill the trainer at once (tests of crash handling). */
  killTrainer(): void {
    this.trainer?.kill();
  }
}
