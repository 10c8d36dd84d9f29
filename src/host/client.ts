// Clients of a TrainerHost for Node code (the CLI, tests, benchmarks): the same typed
// ProtocolClient the renderer uses, either attached in-process to a host or over a WebSocket.
import WebSocket from 'ws';
import {
  createProtocolClient,
  webSocketTransport,
  type ClientOptions,
  type ProtocolClient,
  type WebSocketLike,
} from '../shared/protocolClient';
import type { TrainerHost } from './trainerHost';

/** A client attached directly to a host in this process (messages still go through validation). */
export function connectInProcess(host: TrainerHost, options?: ClientOptions): ProtocolClient {
  let receive: (m: unknown) => void = () => {};
  let closeHandler: (reason: string) => void = () => {};
  // Round-trip through JSON so the in-process path sees exactly what a WebSocket client sees.
  const conn = host.connect((m) => queueMicrotask(() => receive(JSON.parse(JSON.stringify(m)))));
  return createProtocolClient(
    {
      send: (m) => conn.handle(JSON.parse(JSON.stringify(m))),
      onMessage: (h) => (receive = h),
      onClose: (h) => (closeHandler = h),
      close: () => {
        conn.close();
        closeHandler('client closed');
      },
    },
    options,
  );
}

/** A client of a web host (`metarl serve`) at `url` (ws://127.0.0.1:PORT/ws?token=...). */
export function connectWebSocket(
  url: string,
  origin: string,
  options?: ClientOptions,
): ProtocolClient {
  const ws = new WebSocket(url, { origin });
  return createProtocolClient(webSocketTransport(ws as unknown as WebSocketLike), options);
}
