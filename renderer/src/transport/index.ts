// Picks the transport once at start: the desktop shell's preload API when it is there,
// otherwise the web host's WebSocket.
import { electronTransport } from './ipc';
import type { MrlBridge, Transport } from './types';
import { socketUrlFromPage, websocketTransport } from './websocket';

declare global {
  interface Window {
    mrl?: MrlBridge;
  }
}

export function chooseTransport(win: Window = window): Transport {
  if (win.mrl) return electronTransport(win.mrl);
  return websocketTransport({ url: socketUrlFromPage(win.location) });
}

export type { Transport, ConnectionState } from './types';
