// The trainer as a child of the main process (Electron utilityProcess): main sends it the
// protocol's call envelopes and gets replies and events back, so training never runs on
// main's event loop. A trainer that dies is reported as a 'crashed' status and error event;
// the next command starts a fresh one.
import type { ForkOptions, UtilityProcess } from 'electron';
import {
  parseServerMessage,
  ProtocolError,
  type CommandChannel,
  type StreamName,
  type StreamPayloads,
  type TrainerStatus,
} from '../../src/shared/protocol';
import type { TrainerLink } from './relay';

export type ForkFn = (modulePath: string, args?: string[], options?: ForkOptions) => UtilityProcess;

export interface TrainerProcessOptions {
  fork: ForkFn;
  /** Built trainer entry (out/main/trainer.js). */
  entry: string;
  /** Arguments for the trainer (e.g. the runs directory). */
  args: string[];
  env?: Record<string, string>;
  log?: (line: string) => void;
}

type Listener = <S extends StreamName>(channel: S, payload: StreamPayloads[S]) => void;

export class TrainerProcess implements TrainerLink {
  private child: UtilityProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; channel: string }>();
  private readonly listeners = new Set<Listener>();
  private disposed = false;

  constructor(private readonly opts: TrainerProcessOptions) {}

  private ensure(): UtilityProcess {
    if (this.disposed) throw new ProtocolError('The trainer has been shut down', 'closed');
    if (this.child) return this.child;
    const child = this.opts.fork(this.opts.entry, this.opts.args, {
      serviceName: 'Meta-RL Studio trainer',
      stdio: 'pipe',
      env: { ...process.env, ...this.opts.env },
    });
    child.stdout?.on('data', (d: Buffer) => this.opts.log?.(`[trainer] ${d.toString().trimEnd()}`));
    child.stderr?.on('data', (d: Buffer) => this.opts.log?.(`[trainer] ${d.toString().trimEnd()}`));
    child.on('message', (raw: unknown) => this.receive(raw));
    child.on('exit', (code: number) => this.exited(child, code));
    this.child = child;
    return child;
  }

  private receive(raw: unknown): void {
    let msg;
    try {
      msg = parseServerMessage(raw);
    } catch (err) {
      this.opts.log?.(`ignored a malformed message from the trainer: ${(err as Error).message}`);
      return;
    }
    if (msg.kind === 'event') {
      for (const l of this.listeners) l(msg.channel, msg.payload);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new ProtocolError(msg.error.message, msg.error.code));
  }

  private exited(child: UtilityProcess, code: number): void {
    if (this.child !== child) return;
    this.child = null;
    if (this.disposed) return;
    const message = `The trainer process stopped unexpectedly (exit code ${code}); the next command starts a new one.`;
    for (const [, p] of this.pending) p.reject(new ProtocolError(`${p.channel} failed: ${message}`, 'crashed'));
    this.pending.clear();
    const status: TrainerStatus = {
      state: 'crashed',
      runId: null,
      family: null,
      algo: null,
      iteration: 0,
      iterations: 0,
      backend: null,
      elapsedMs: 0,
      etaMs: null,
      message,
    };
    for (const l of this.listeners) {
      l('mrl:status.changed', status);
      l('mrl:error.raised', { runId: null, iteration: null, message, fatal: true });
    }
  }

  call(channel: CommandChannel, payload: unknown): Promise<unknown> {
    const child = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, channel });
      child.postMessage({ kind: 'call', id, channel, payload });
    });
  }

  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ask the trainer to stop (it checkpoints a live run on SIGTERM) and forget it. */
  dispose(): void {
    this.disposed = true;
    for (const [, p] of this.pending) p.reject(new ProtocolError('The app is closing', 'closed'));
    this.pending.clear();
    this.child?.kill();
    this.child = null;
  }
}
