// The renderer's Content-Security-Policy, one definition for every place that serves the
// page: the meta tag the build inserts (vite.renderer.config.ts), the web host's response
// header (src/host/webHost.ts) and the desktop session's header (electron/main/security.ts).
// Scripts and styles only from the app itself, no eval; images may be data:/blob: (PNG
// export, chart snapshots); `connect-src 'self'` covers the web host's same-origin socket.

export interface CspOptions {
  /** The Vite dev server: inline styles (hot-reloaded CSS) and its own socket. */
  dev?: boolean;
  /** Sent as an HTTP header: adds the directives a meta tag cannot carry (frame-ancestors). */
  header?: boolean;
}

export function contentSecurityPolicy(opts: CspOptions = {}): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    opts.dev ? "style-src 'self' 'unsafe-inline'" : "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self'",
    opts.dev
      ? "connect-src 'self' ws: http://localhost:* http://127.0.0.1:*"
      : "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    ...(opts.header ? ["frame-ancestors 'none'"] : []),
  ].join('; ');
}
