// Transport over the desktop shell's preload API (`window.mrl`): commands are IPC invokes,
// streams are IPC events the main process forwards for the streams this window subscribed to.
import type { StreamName } from '../../../src/shared/protocol';
import { Subscriptions } from './subscriptions';
import type { ConnectionState, MrlBridge, Transport } from './types';

export function electronTransport(bridge: MrlBridge): Transport {
  const offs = new Map<StreamName, () => void>();
  const subs = new Subscriptions(
    (streams) => {
      for (const s of streams) {
        if (!offs.has(s))
          offs.set(
            s,
            bridge.on(s, (p) => subs.emit(s, p)),
          );
      }
      bridge
        .invoke('mrl:stream.subscribe', { streams })
        .catch((err: Error) => console.error(err.message));
    },
    (streams) => {
      for (const s of streams) {
        offs.get(s)?.();
        offs.delete(s);
      }
      bridge
        .invoke('mrl:stream.unsubscribe', { streams })
        .catch((err: Error) => console.error(err.message));
    },
  );
  return {
    kind: 'electron',
    call: (channel, payload) => bridge.invoke(channel, payload),
    listen: (stream, listener) => subs.add(stream, listener as (p: unknown) => void),
    // IPC to main is there for the window's whole life.
    onConnection(listener: (state: ConnectionState) => void) {
      listener('open');
      return () => {};
    },
    close() {
      for (const off of offs.values()) off();
      offs.clear();
    },
  };
}
