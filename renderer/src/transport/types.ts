// The renderer's one way to talk to the trainer, whatever carries it (Electron IPC through
// the preload, or the web host's WebSocket): typed commands and typed event streams.
import type {
  CommandChannel,
  CommandReply,
  CommandRequest,
  StreamName,
  StreamPayloads,
} from '../../../src/shared/protocol';

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface Transport {
  readonly kind: 'electron' | 'websocket';
  call<C extends CommandChannel>(channel: C, payload?: CommandRequest<C>): Promise<CommandReply<C>>;
  /** Listen to a stream; the first listener of a stream subscribes to it, the last one unsubscribes. */
  listen<S extends StreamName>(
    stream: S,
    listener: (payload: StreamPayloads[S]) => void,
  ): () => void;
  onConnection(listener: (state: ConnectionState, reason?: string) => void): () => void;
  close(): void;
}

/** The API the preload exposes as `window.mrl` (electron/preload/api.ts). */
export interface MrlBridge {
  invoke<C extends CommandChannel>(
    channel: C,
    payload?: CommandRequest<C>,
  ): Promise<CommandReply<C>>;
  on<S extends StreamName>(channel: S, listener: (payload: StreamPayloads[S]) => void): () => void;
}
