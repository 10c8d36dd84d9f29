// The main process's relay between the window and the trainer: every allow-listed command
// channel gets an ipcMain handler that checks the sender is the app's own window, validates
// the payload with the protocol's schema and forwards it to the trainer; trainer events are
// sent to the window for the streams it subscribed to. Main never waits on training: each
// command is an async message exchange with the trainer process.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import {
  COMMAND_CHANNELS,
  parseCommand,
  ProtocolError,
  type CommandChannel,
  type ErrorInfo,
  type StreamName,
  type StreamPayloads,
} from '../../src/shared/protocol';
import type { RelayReply } from '../preload/api';

/** The trainer side as the relay needs it (implemented over a utilityProcess by trainerProcess.ts). */
export interface TrainerLink {
  call(channel: CommandChannel, payload: unknown): Promise<unknown>;
  onEvent(listener: <S extends StreamName>(channel: S, payload: StreamPayloads[S]) => void): () => void;
}

export interface RelayOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  trainer: TrainerLink;
  /** Is this sender the app's window showing the app's page? */
  isTrustedSender(sender: WebContents, frameUrl: string | undefined): boolean;
}

function errorInfo(err: unknown): ErrorInfo {
  if (err instanceof ProtocolError) return { message: err.message, code: err.code };
  const code = (err as { code?: unknown })?.code;
  const known = ['invalid', 'unknown-channel', 'failed', 'crashed', 'closed'] as const;
  return {
    message: err instanceof Error ? err.message : String(err),
    code: known.includes(code as (typeof known)[number]) ? (code as ErrorInfo['code']) : 'failed',
  };
}

/** Register the handlers; returns a function that removes them and stops forwarding events. */
export function registerRelay(opts: RelayOptions): () => void {
  // Streams each window asked for; heavy ones (preview frames) go only where wanted.
  const subscriptions = new Map<WebContents, Set<StreamName>>();

  const handle = async (channel: CommandChannel, event: IpcMainInvokeEvent, payload: unknown): Promise<RelayReply> => {
    try {
      if (!opts.isTrustedSender(event.sender, event.senderFrame?.url)) {
        throw new ProtocolError(`Refused ${channel}: the sender is not the app's window`, 'invalid');
      }
      const parsed = parseCommand(channel, payload);
      if (channel === 'mrl:stream.subscribe' || channel === 'mrl:stream.unsubscribe') {
        const { streams } = parsed as { streams: StreamName[] };
        let set = subscriptions.get(event.sender);
        if (!set) {
          set = new Set();
          subscriptions.set(event.sender, set);
          event.sender.once('destroyed', () => subscriptions.delete(event.sender));
        }
        for (const s of streams) {
          if (channel === 'mrl:stream.subscribe') set.add(s);
          else set.delete(s);
        }
        if (channel === 'mrl:stream.subscribe' && streams.includes('mrl:status.changed')) {
          // A (re)subscribing window gets the current status at once, as over the WebSocket.
          const { status } = (await opts.trainer.call('mrl:trainer.status', {})) as { status: StreamPayloads['mrl:status.changed'] };
          if (!event.sender.isDestroyed()) event.sender.send('mrl:status.changed', status);
        }
        return { ok: true, result: { streams: [...set] } };
      }
      // Forward the caller's payload as sent: the trainer validates it again (its own border).
      return { ok: true, result: await opts.trainer.call(channel, payload ?? {}) };
    } catch (err) {
      return { ok: false, error: errorInfo(err) };
    }
  };

  for (const channel of COMMAND_CHANNELS) {
    opts.ipcMain.handle(channel, (event, payload) => handle(channel, event, payload));
  }
  const stopEvents = opts.trainer.onEvent((channel, payload) => {
    for (const [contents, streams] of subscriptions) {
      if (streams.has(channel) && !contents.isDestroyed()) contents.send(channel, payload);
    }
  });
  return () => {
    stopEvents();
    for (const channel of COMMAND_CHANNELS) opts.ipcMain.removeHandler(channel);
    subscriptions.clear();
  };
}
