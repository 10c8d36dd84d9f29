// Transport over the web host's WebSocket (`npm run web` / `metarl serve`), built on the
// shared ProtocolClient (src/shared/protocolClient.ts: envelopes, validation, per-stream
// subscribe). The access token comes from the page URL the host printed. After a drop the
// socket reconnects and the streams in use are subscribed again.
import {
  createProtocolClient,
  webSocketTransport,
  type ProtocolClient,
} from '../../../src/shared/protocolClient';
import { ProtocolError, type StreamName } from '../../../src/shared/protocol';
import { Subscriptions } from './subscriptions';
import type { ConnectionState, Transport } from './types';

export interface WebSocketOptions {
  /** ws:// or wss:// URL including the token. */
  url: string;
  /** Reconnect delay after a drop (ms). */
  retryMs?: number;
  WebSocketImpl?: typeof WebSocket;
}

/**
 * The socket URL for a page served by the web host: same host, `/ws`. The token of the URL
 * the host printed is passed on; without one (a reload after the host set its cookie) the
 * host's cookie carries it.
 */
export function socketUrlFromPage(
  location: Pick<Location, 'protocol' | 'host' | 'search'>,
): string {
  const token = new URLSearchParams(location.search).get('token');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

export function websocketTransport(opts: WebSocketOptions): Transport {
  const WS = opts.WebSocketImpl ?? WebSocket;
  const retryMs = opts.retryMs ?? 1500;
  let client: ProtocolClient | null = null;
  let state: ConnectionState = 'connecting';
  let closedByUs = false;
  const offs = new Map<StreamName, () => void>();
  const connListeners = new Set<(s: ConnectionState, reason?: string) => void>();
  const setState = (s: ConnectionState, reason?: string) => {
    state = s;
    for (const l of connListeners) l(s, reason);
  };

  const subs: Subscriptions = new Subscriptions(
    (streams) => {
      for (const s of streams)
        if (client && !offs.has(s))
          offs.set(
            s,
            client.on(s, (p) => subs.emit(s, p)),
          );
    },
    (streams) => {
      for (const s of streams) {
        offs.get(s)?.();
        offs.delete(s);
      }
    },
  );

  const connect = () => {
    setState('connecting');
    const ws = new WS(opts.url);
    const c = createProtocolClient(webSocketTransport(ws));
    client = c;
    offs.clear();
    for (const s of subs.active())
      offs.set(
        s,
        c.on(s, (p) => subs.emit(s, p)),
      );
    ws.addEventListener('open', () => setState('open'));
    c.onClose((reason) => {
      if (client !== c) return;
      client = null;
      offs.clear();
      if (closedByUs) return setState('closed');
      setState('closed', reason);
      setTimeout(() => {
        if (!closedByUs) connect();
      }, retryMs);
    });
  };
  connect();

  return {
    kind: 'websocket',
    call(channel, payload) {
      if (!client)
        return Promise.reject(new ProtocolError('Not connected to the web host', 'closed'));
      return client.call(channel, payload ?? ({} as never));
    },
    listen: (stream, listener) => subs.add(stream, listener as (p: unknown) => void),
    onConnection(listener) {
      connListeners.add(listener);
      listener(state);
      return () => connListeners.delete(listener);
    },
    close() {
      closedByUs = true;
      client?.close();
    },
  };
}
