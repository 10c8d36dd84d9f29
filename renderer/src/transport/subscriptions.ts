// Reference-counted stream subscriptions shared by both transports: the trainer is asked
// for a stream when the first listener appears and released when the last one leaves.
import type { StreamName } from '../../../src/shared/protocol';

export class Subscriptions {
  private readonly listeners = new Map<StreamName, Set<(payload: unknown) => void>>();

  constructor(
    private readonly subscribe: (streams: StreamName[]) => void,
    private readonly unsubscribe: (streams: StreamName[]) => void,
  ) {}

  add(stream: StreamName, listener: (payload: unknown) => void): () => void {
    let set = this.listeners.get(stream);
    if (!set) {
      set = new Set();
      this.listeners.set(stream, set);
    }
    const first = set.size === 0;
    set.add(listener);
    if (first) this.subscribe([stream]);
    return () => {
      const s = this.listeners.get(stream);
      if (!s || !s.delete(listener)) return;
      if (s.size === 0) this.unsubscribe([stream]);
    };
  }

  emit(stream: StreamName, payload: unknown): void {
    const set = this.listeners.get(stream);
    if (!set) return;
    for (const l of [...set]) {
      try {
        l(payload);
      } catch (err) {
        console.error(`listener of ${stream} failed:`, err);
      }
    }
  }

  /** Streams with listeners (to re-subscribe after a reconnect). */
  active(): StreamName[] {
    return [...this.listeners].filter(([, s]) => s.size > 0).map(([n]) => n);
  }
}
