// The renderer's Vite config, shared by electron-vite (desktop) and a plain `vite build`
// (browser, served by the web host from out/renderer). One code base: the transport is
// chosen at start (Electron preload API if present, else WebSocket).
import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig, type Plugin, type UserConfig } from 'vite';
import { contentSecurityPolicy } from './src/shared/csp';

const root = resolve(import.meta.dirname, 'renderer');

/**
 * The page's Content-Security-Policy, as a meta tag so it holds wherever the page is served
 * from (Electron's file://, the web host, a preview server); the policy itself is
 * src/shared/csp.ts. The dev server needs inline styles (Vue's hot-reloaded CSS) and its own
 * WebSocket.
 */
export function cspPlugin(): Plugin {
  let dev = false;
  return {
    name: 'metarl-csp',
    configResolved(c) {
      dev = c.command === 'serve';
    },
    transformIndexHtml(html) {
      const policy = contentSecurityPolicy({ dev });
      return {
        html,
        tags: [
          {
            tag: 'meta',
            attrs: { 'http-equiv': 'Content-Security-Policy', content: policy },
            injectTo: 'head-prepend',
          },
        ],
      };
    },
  };
}

export const rendererConfig: UserConfig = {
  root,
  // Relative asset URLs: Electron loads the page from file://, the web host from /.
  base: './',
  plugins: [vue(), cspPlugin()],
  build: {
    outDir: resolve(import.meta.dirname, 'out/renderer'),
    emptyOutDir: true,
    // three.js alone is ~600 kB; the app is loaded locally, so one chunk is fine.
    chunkSizeWarningLimit: 2000,
    rolldownOptions: { input: resolve(root, 'index.html') },
  },
};

export default defineConfig(rendererConfig);
