// The desktop window's security settings: isolated sandboxed renderer without Node, no
// navigation away from the app, no new windows, no permissions, and the CSP header.
import { describe, expect, it, vi } from 'vitest';
import type { BrowserWindowConstructorOptions, Session } from 'electron';
import {
  CONTENT_SECURITY_POLICY,
  DEV_CONTENT_SECURITY_POLICY,
  createSecureWindow,
  hardenContents,
  hardenSession,
  isAppUrl,
} from '../../electron/main/security';
import { FakeContents } from './fakes';

const APP = 'file:///opt/metarl/resources/app.asar/out/renderer/index.html';

const constructed: BrowserWindowConstructorOptions[] = [];
vi.mock('electron', () => ({
  BrowserWindow: class {
    constructor(options: BrowserWindowConstructorOptions) {
      constructed.push(options);
    }
  },
}));

describe('createSecureWindow', () => {
  it('fixes the security-relevant web preferences', () => {
    createSecureWindow('/app/out/preload/index.cjs', { width: 1200, height: 800 });
    const o = constructed[0];
    expect(o.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      disableBlinkFeatures: 'Auxclick',
    });
    expect(o.width).toBe(1200);
    expect(o.show).toBe(false);
  });
});

describe('isAppUrl', () => {
  it('accepts only the app page (file) or the dev server origin', () => {
    expect(isAppUrl(APP, APP)).toBe(true);
    expect(isAppUrl(`${APP}#/runs`, APP)).toBe(true);
    expect(isAppUrl('file:///etc/passwd', APP)).toBe(false);
    expect(isAppUrl('https://example.com/', APP)).toBe(false);
    expect(isAppUrl('http://localhost:5173/#/new', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl('not a url', APP)).toBe(false);
  });
});

describe('hardenContents', () => {
  it('prevents navigation away from the app and denies new windows and webviews', () => {
    const c = new FakeContents();
    hardenContents(c.asContents(), APP);
    const nav = (url: string, event = 'will-navigate') => {
      const e = { preventDefault: vi.fn() };
      c.emit(event, e, url);
      return e.preventDefault.mock.calls.length > 0;
    };
    expect(nav('https://evil.example/')).toBe(true);
    expect(nav('file:///home/user/x.html')).toBe(true);
    expect(nav(`${APP}#/dashboard`)).toBe(false);
    expect(nav('https://evil.example/', 'will-redirect')).toBe(true);
    const wv = { preventDefault: vi.fn() };
    c.emit('will-attach-webview', wv);
    expect(wv.preventDefault).toHaveBeenCalled();
    expect(c.openHandler?.({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    expect(c.openHandler?.({ url: APP })).toEqual({ action: 'deny' });
  });
});

describe('hardenSession', () => {
  it('denies every permission and adds the CSP header', () => {
    let requestHandler: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null;
    let checkHandler: (() => boolean) | null = null;
    let headers:
      | ((
          d: { responseHeaders?: Record<string, string[]> },
          cb: (r: { responseHeaders: Record<string, string[]> }) => void,
        ) => void)
      | null = null;
    const session = {
      setPermissionRequestHandler: (h: typeof requestHandler) => (requestHandler = h),
      setPermissionCheckHandler: (h: typeof checkHandler) => (checkHandler = h),
      webRequest: { onHeadersReceived: (h: typeof headers) => (headers = h) },
    } as unknown as Session;
    hardenSession(session);
    const granted: boolean[] = [];
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal'])
      requestHandler!(null, p, (ok) => granted.push(ok));
    expect(granted).toEqual([false, false, false, false]);
    expect(checkHandler!()).toBe(false);
    let out: Record<string, string[]> = {};
    headers!({ responseHeaders: { 'X-Other': ['1'] } }, (r) => (out = r.responseHeaders));
    expect(out['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    expect(out['X-Other']).toEqual(['1']);
  });

  it('CSP forbids inline and remote scripts and eval', () => {
    const script = CONTENT_SECURITY_POLICY.split('; ').find((d) => d.startsWith('script-src'));
    expect(script).toBe("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)/);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
    // The dev server's variant relaxes styles and its socket only, never scripts.
    expect(DEV_CONTENT_SECURITY_POLICY).toContain("style-src 'self' 'unsafe-inline'");
    expect(DEV_CONTENT_SECURITY_POLICY).toContain("script-src 'self';");
    expect(DEV_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval/);
  });
});
