// The desktop window's security settings in one place, so the unit tests and the
// electronegativity check see exactly what ships: an isolated, sandboxed renderer with no
// Node, a strict Content-Security-Policy, no navigation away from the app, no new windows,
// and no permission (camera, geolocation, notifications…) ever granted.
import { BrowserWindow, type Session, type WebContents } from 'electron';
import { contentSecurityPolicy } from '../../src/shared/csp';

/**
 * The renderer's CSP (src/shared/csp.ts), as the header of every response the session loads.
 * The desktop renderer talks to the trainer over IPC only; `connect-src 'self'` gives it no
 * network beyond its own files.
 */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy({ header: true });

export interface WindowBounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
}

/**
 * The app's window. The security-relevant webPreferences are literal here (not built
 * elsewhere) so static checkers such as electronegativity see exactly what ships.
 */
export function createSecureWindow(preloadPath: string, bounds: WindowBounds): BrowserWindow {
  return new BrowserWindow({
    ...bounds,
    minWidth: 960,
    minHeight: 640,
    title: 'Meta-RL Studio',
    backgroundColor: '#0f1419',
    // Shown once the first paint is ready, so the user never sees a white flash.
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      // Middle-click would open links in new windows; the app has none to open.
      disableBlinkFeatures: 'Auxclick',
      spellcheck: false,
      // The trainer keeps running while the window is hidden; the charts should too.
      backgroundThrottling: false,
    },
  });
}

/** Is `url` the app's own page (the dev server in development, the packaged file otherwise)? */
export function isAppUrl(url: string, appUrl: string): boolean {
  try {
    const u = new URL(url);
    const app = new URL(appUrl);
    if (app.protocol === 'file:') return u.protocol === 'file:' && u.pathname === app.pathname;
    return u.origin === app.origin;
  } catch {
    return false;
  }
}

/**
 * Lock a window's contents to the app: in-page navigation elsewhere and new windows are
 * denied (links to the web open nowhere; the app has no external links it needs), and a
 * <webview> can never be attached.
 */
export function hardenContents(contents: WebContents, appUrl: string): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/**
 * The development server's variant (`npm start`): Vite injects hot-reloaded CSS as inline
 * <style> and talks to its own WebSocket. Scripts stay 'self' only.
 */
export const DEV_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
  "style-src 'self'",
  "style-src 'self' 'unsafe-inline'",
).replace("connect-src 'self'", "connect-src 'self' ws://localhost:* ws://127.0.0.1:*");

/** Deny every permission request and add the CSP header to every response the session loads. */
export function hardenSession(session: Session, policy: string = CONTENT_SECURITY_POLICY): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [policy],
      },
    });
  });
}
