// A typed client of the protocol (./protocol.ts) over any message transport: the browser's
// WebSocket (web host), a Node `ws` socket (tests, CLI), or an in-process pair. Electron's
// preload can expose the same `ProtocolClient` shape over ipcRenderer, so renderer code is
// written once against this interface.
//
//   const client = createProtocolClient(webSocketTransport(new WebSocket(url)));
//   const { runId } = await client.call('mrl:run.start', { config: { family: 'point-nav', algo: 'maml' } });
//   const off = client.on('mrl:metrics.added', (m) => chart.push(m));
//   off();
//
// `on` subscribes the stream at the host with the first listener and unsubscribes it with
// the last, so heavy streams (preview frames) flow only while someone listens.
import {
  ProtocolError,
  StreamSchemas,
  parseServerMessage,
  type CommandChannel,
  type CommandReply,
  type CommandRequest,
  type StreamName,
  type StreamPayloads,
  type WireMessage,
} from './protocol';

/** The typed API the renderer (and any client) programs against. */
export interface ProtocolClient {
  call<C extends CommandChannel>(channel: C, payload: CommandRequest<C>): Promise<CommandReply<C>>;
  on<S extends StreamName>(stream: S, listener: (payload: StreamPayloads[S]) => void): () => void;
  /** Called when the connection closes (pending calls are rejected with code 'closed'). */
  onClose(listener: (reason: string) => void): () => void;
  close(): void;
}

/** A bidirectional message pipe carrying protocol messages as plain objects. */
export interface ClientTransport {
  send(message: WireMessage): void;
  /** Register the receiver; messages arrive as parsed objects (or JSON text, which the client parses). */
  onMessage(handler: (message: unknown) => void): void;
  onClose(handler: (reason: string) => void): void;
  close(): void;
}

/** The part of the DOM WebSocket (and of `ws`) a transport needs. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'close', listener: (ev: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', listener: (ev: unknown) => void): void;
}

/** Wrap a WebSocket: JSON text frames; sends made before the socket opens are queued. */
export function webSocketTransport(ws: WebSocketLike): ClientTransport {
  const queue: string[] = [];
  const OPEN = 1;
  ws.addEventListener('open', () => {
    for (const m of queue.splice(0)) ws.send(m);
  });
  return {
    send(message) {
      const text = JSON.stringify(message);
      if (ws.readyState === OPEN) ws.send(text);
      else queue.push(text);
    },
    onMessage(handler) {
      ws.addEventListener('message', (ev) => handler(ev.data));
    },
    onClose(handler) {
      ws.addEventListener('close', (ev) =>
        handler(ev.reason || `connection closed (code ${ev.code})`),
      );
    },
    close() {
      ws.close(1000, 'client closed');
    },
  };
}

export interface ClientOptions {
  /** Validate event payloads against StreamSchemas (default true). */
  validateEvents?: boolean;
  /** Called with a message that failed validation instead of throwing out of the transport. */
  onProtocolError?: (err: Error) => void;
}

export function createProtocolClient(
  transport: ClientTransport,
  options: ClientOptions = {},
): ProtocolClient {
  const validateEvents = options.validateEvents ?? true;
  const reportError = options.onProtocolError ?? ((err: Error) => console.error(err.message));
  let nextId = 1;
  let closed: string | null = null;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<StreamName, Set<(payload: never) => void>>();
  const closeListeners = new Set<(reason: string) => void>();

  transport.onMessage((raw) => {
    let msg;
    try {
      msg = parseServerMessage(typeof raw === 'string' ? JSON.parse(raw) : raw);
    } catch (err) {
      reportError(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (msg.kind === 'reply') {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new ProtocolError(msg.error.message, msg.error.code));
      return;
    }
    const set = listeners.get(msg.channel);
    if (!set || set.size === 0) return;
    let payload: unknown = msg.payload;
    if (validateEvents) {
      const r = StreamSchemas[msg.channel].safeParse(payload);
      if (!r.success) {
        reportError(
          new ProtocolError(
            `Malformed ${msg.channel} event: ${r.error.issues[0]?.message ?? 'invalid'}`,
            'invalid',
          ),
        );
        return;
      }
      payload = r.data;
    }
    for (const l of [...set]) (l as (p: unknown) => void)(payload);
  });

  transport.onClose((reason) => {
    if (closed !== null) return;
    closed = reason;
    for (const p of pending.values())
      p.reject(new ProtocolError(`Connection closed: ${reason}`, 'closed'));
    pending.clear();
    for (const l of [...closeListeners]) l(reason);
  });

  function call<C extends CommandChannel>(
    channel: C,
    payload: CommandRequest<C>,
  ): Promise<CommandReply<C>> {
    if (closed !== null)
      return Promise.reject(new ProtocolError(`Connection closed: ${closed}`, 'closed'));
    const id = nextId++;
    return new Promise<CommandReply<C>>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      transport.send({ kind: 'call', id, channel, payload });
    });
  }

  return {
    call,
    on(stream, listener) {
      let set = listeners.get(stream);
      if (!set) listeners.set(stream, (set = new Set()));
      const first = set.size === 0;
      set.add(listener as (payload: never) => void);
      if (first && closed === null) {
        call('mrl:stream.subscribe', { streams: [stream] }).catch((err: Error) => reportError(err));
      }
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        set.delete(listener as (payload: never) => void);
        if (set.size === 0 && closed === null) {
          call('mrl:stream.unsubscribe', { streams: [stream] }).catch((err: Error) =>
            reportError(err),
          );
        }
      };
    },
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    close() {
      transport.close();
    },
  };
}
