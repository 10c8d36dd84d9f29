// Connection and catalogue: the transport in use, its state, and the families and
// meta-learners the trainer offers (what the New run screen builds its choices from).
import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { AlgoInfo, FamilyInfo } from '../../../src/shared/protocol';
import type { ConnectionState, Transport } from '../transport';

export const useAppStore = defineStore('app', () => {
  const transport = shallowRef<Transport | null>(null);
  const connection = ref<ConnectionState>('connecting');
  const connectionReason = ref<string | null>(null);
  const families = ref<FamilyInfo[]>([]);
  const algos = ref<AlgoInfo[]>([]);
  const catalogueError = ref<string | null>(null);
  const loaded = ref(false);

  function use(t: Transport): void {
    transport.value = markRaw(t);
    t.onConnection((state, reason) => {
      connection.value = state;
      connectionReason.value = reason ?? null;
    });
  }

  function api(): Transport {
    if (!transport.value) throw new Error('No connection to the trainer yet');
    return transport.value;
  }

  async function loadCatalogue(): Promise<void> {
    try {
      const [f, a] = await Promise.all([
        api().call('mrl:families.list', {}),
        api().call('mrl:algos.list', {}),
      ]);
      families.value = f.families;
      algos.value = a.algos;
      catalogueError.value = null;
      loaded.value = true;
    } catch (err) {
      catalogueError.value = (err as Error).message;
    }
  }

  return {
    transport,
    connection,
    connectionReason,
    families,
    algos,
    catalogueError,
    loaded,
    use,
    api,
    loadCatalogue,
  };
});
