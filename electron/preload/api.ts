// The whole surface the renderer gets from the desktop shell: `invoke` a command and `on` a
// stream, both over allow-listed `mrl:` channels of the shared protocol, payloads validated
// before they leave the page. Nothing else of Electron or Node is reachable from the page.
// Kept apart from index.ts (which only calls contextBridge) so it is unit-tested with a
// stand-in ipcRenderer.
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import {
  isCommandChannel,
  isStreamName,
  parseCommand,
  ProtocolError,
  type CommandChannel,
  type CommandReply,
  type CommandRequest,
  type ErrorInfo,
  type StreamName,
  type StreamPayloads,
} from '../../src/shared/protocol';

/** What main replies to every invoke: errors travel as data so their messages arrive intact. */
export type RelayReply = { ok: true; result: unknown } | { ok: false; error: ErrorInfo };

export interface MrlApi {
  invoke<C extends CommandChannel>(
    channel: C,
    payload?: CommandRequest<C>,
  ): Promise<CommandReply<C>>;
  on<S extends StreamName>(channel: S, listener: (payload: StreamPayloads[S]) => void): () => void;
}

type IpcLike = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>;

export function createMrlApi(ipc: IpcLike): MrlApi {
  return {
    async invoke(channel, payload) {
      if (!isCommandChannel(channel))
        throw new ProtocolError(
          `Channel "${String(channel)}" is not an mrl: command`,
          'unknown-channel',
        );
      // Validate here too, so a bad form value fails with a precise message before any IPC.
      parseCommand(channel, payload);
      const reply = (await ipc.invoke(channel, payload ?? {})) as RelayReply;
      if (!reply || typeof reply !== 'object' || !('ok' in reply)) {
        throw new ProtocolError(`Malformed reply on ${channel}`, 'invalid');
      }
      if (!reply.ok) throw new ProtocolError(reply.error.message, reply.error.code);
      return reply.result as CommandReply<typeof channel>;
    },
    on(channel, listener) {
      if (!isStreamName(channel))
        throw new ProtocolError(
          `Channel "${String(channel)}" is not an mrl: stream`,
          'unknown-channel',
        );
      if (typeof listener !== 'function')
        throw new ProtocolError('listener must be a function', 'invalid');
      // The Electron event object (with its sender) never reaches the page: only the payload.
      const wrapped = (_event: IpcRendererEvent, payload: unknown) =>
        listener(payload as StreamPayloads[typeof channel]);
      ipc.on(channel, wrapped);
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        ipc.removeListener(channel, wrapped);
      };
    },
  };
}
