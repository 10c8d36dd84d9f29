// The main process's relay between a window and the shared TrainerHost: every allow-listed
// command channel gets an ipcMain handler that checks the sender is the app's own page,
// validates the payload with the protocol's schema, and passes it to the host as a call on
// that window's connection; the host sends back the reply and the events of the streams the
// window subscribed to. Main never waits on training: each command is a message exchange
// with the trainer process.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { HostConnection } from '../../src/host/trainerHost';
import {
  COMMAND_CHANNELS,
  parseCommand,
  ProtocolError,
  type CommandChannel,
  type ErrorInfo,
  type EventMessage,
  type ReplyMessage,
} from '../../src/shared/protocol';
import type { RelayReply } from '../preload/api';

/** The host as the relay needs it (TrainerHost in the app). */
export interface HostLike {
  connect(send: (m: ReplyMessage | EventMessage) => void): HostConnection;
}

export interface RelayOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  host: HostLike;
  /** Is this sender the app's window showing the app's page? */
  isTrustedSender(sender: WebContents, frameUrl: string | undefined): boolean;
}

interface WindowLink {
  conn: HostConnection;
  nextId: number;
  pending: Map<number, (r: RelayReply) => void>;
}

/** Register the handlers; returns a function that removes them and closes every connection. */
export function registerRelay(opts: RelayOptions): () => void {
  const links = new Map<WebContents, WindowLink>();

  function linkFor(contents: WebContents): WindowLink {
    let link = links.get(contents);
    if (link) return link;
    const pending = new Map<number, (r: RelayReply) => void>();
    const conn = opts.host.connect((m) => {
      if (m.kind === 'reply') {
        const done = pending.get(m.id);
        pending.delete(m.id);
        done?.(m.ok ? { ok: true, result: m.result } : { ok: false, error: m.error });
      } else if (!contents.isDestroyed()) {
        contents.send(m.channel, m.payload);
      }
    });
    link = { conn, nextId: 1, pending };
    links.set(contents, link);
    contents.once('destroyed', () => {
      conn.close();
      for (const done of pending.values())
        done({ ok: false, error: { message: 'The window was closed', code: 'closed' } });
      links.delete(contents);
    });
    return link;
  }

  const handle = async (
    channel: CommandChannel,
    event: IpcMainInvokeEvent,
    payload: unknown,
  ): Promise<RelayReply> => {
    try {
      if (!opts.isTrustedSender(event.sender, event.senderFrame?.url)) {
        throw new ProtocolError(
          `Refused ${channel}: the sender is not the app's window`,
          'invalid',
        );
      }
      // Validated here so a bad message never reaches the host (which checks it again).
      parseCommand(channel, payload);
      const link = linkFor(event.sender);
      const id = link.nextId++;
      return await new Promise<RelayReply>((resolve) => {
        link.pending.set(id, resolve);
        link.conn.handle({ kind: 'call', id, channel, payload: payload ?? {} });
      });
    } catch (err) {
      const info: ErrorInfo =
        err instanceof ProtocolError
          ? { message: err.message, code: err.code }
          : { message: err instanceof Error ? err.message : String(err), code: 'failed' };
      return { ok: false, error: info };
    }
  };

  for (const channel of COMMAND_CHANNELS) {
    opts.ipcMain.handle(channel, (event, payload) => handle(channel, event, payload));
  }
  return () => {
    for (const channel of COMMAND_CHANNELS) opts.ipcMain.removeHandler(channel);
    for (const link of links.values()) link.conn.close();
    links.clear();
  };
}
