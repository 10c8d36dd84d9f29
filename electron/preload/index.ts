// Preload of the desktop window (sandboxed, context-isolated): expose the typed protocol
// API as `window.mrl` and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { z } from 'zod';
import { createMrlApi } from './api';

// No eval in the preload either (zod would otherwise compile parsers with `new Function`).
z.config({ jitless: true });

contextBridge.exposeInMainWorld('mrl', createMrlApi(ipcRenderer));
