// `npm run build` (electron-vite) produces a desktop app whose parts load: the sandboxed
// preload is one CommonJS file needing only 'electron', the page carries its CSP, and the
// bundled trainer (what the utilityProcess runs) answers the protocol — here under plain
// Node, which is what a utilityProcess is.
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const OUT = path.join(ROOT, 'out');

describe('electron-vite build', () => {
  it('builds main, trainer, sampler worker, preload and renderer, and the trainer bundle serves the protocol', async () => {
    execFileSync(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'),
        'build',
        '--logLevel',
        'error',
      ],
      {
        cwd: ROOT,
        stdio: 'pipe',
      },
    );
    const preload = readFileSync(path.join(OUT, 'preload/index.cjs'), 'utf8');
    expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(preload).toContain('exposeInMainWorld');
    const html = readFileSync(path.join(OUT, 'renderer/index.html'), 'utf8');
    expect(html).toMatch(
      /http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;self&#39;;/,
    );

    const runs = mkdtempSync(path.join(tmpdir(), 'metarl-build-runs-'));
    const child = fork(path.join(OUT, 'main/trainer.js'), ['--runs', runs], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    try {
      const reply = await new Promise<{ ok: boolean; result: { families: { id: string }[] } }>(
        (resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error('no reply from the bundled trainer')),
            30_000,
          );
          child.on('message', (m: { kind: string; id: number }) => {
            if (m.kind === 'reply' && m.id === 7) {
              clearTimeout(timer);
              resolve(m as never);
            }
          });
          child.on('exit', (code) => reject(new Error(`bundled trainer exited with ${code}`)));
          child.send({ kind: 'call', id: 7, channel: 'mrl:families.list', payload: {} });
        },
      );
      expect(reply.ok).toBe(true);
      expect(reply.result.families.map((f) => f.id)).toContain('point-nav');
    } finally {
      child.kill();
    }
  });
});
