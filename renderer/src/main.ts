// Renderer entry: pick the transport (Electron preload or the web host's WebSocket), then
// mount the Vue app with its stores and router.
import { createPinia } from 'pinia';
import { z } from 'zod';
import { createApp } from 'vue';
import App from './App.vue';
import { createAppRouter } from './router';
import { useAppStore } from './stores/app';
import { useTrainingStore } from './stores/training';
import { chooseTransport } from './transport';
import './styles.css';

// zod compiles fast parsers with `new Function` when it may; the page's CSP forbids eval,
// and the probe would log a CSP violation. Parse without it.
z.config({ jitless: true });

const app = createApp(App);
app.use(createPinia());
app.use(createAppRouter());
const store = useAppStore();
try {
  store.use(chooseTransport());
  useTrainingStore().init();
  void store.loadCatalogue();
} catch (err) {
  store.catalogueError = (err as Error).message;
  store.connection = 'closed';
  store.connectionReason = (err as Error).message;
}
app.mount('#app');
