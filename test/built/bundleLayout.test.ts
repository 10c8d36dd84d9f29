// What `npm run build` (electron-vite) lays out in out/: the sandboxed preload is one
// CommonJS file needing only 'electron'; the page carries its CSP; every worker entry sits
// beside trainer.js under its stable name; the bundles carry the app version and never
// reach for the TypeScript tooling (tsx) that only the sources need.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKER_ENTRIES } from '../../src/samplers/workers';
import { assertBuilt, OUT, ROOT } from './builtApp';

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
};

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? jsFiles(path.join(dir, e.name))
      : e.name.endsWith('.js')
        ? [path.join(dir, e.name)]
        : [],
  );
}

describe('the electron-vite build', () => {
  beforeAll(() => assertBuilt());

  it('emits a CommonJS preload that requires only electron, and a page with its CSP', () => {
    const preload = readFileSync(path.join(OUT, 'preload/index.cjs'), 'utf8');
    expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(preload).toContain('exposeInMainWorld');
    const html = readFileSync(path.join(OUT, 'renderer/index.html'), 'utf8');
    expect(html).toMatch(
      /http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;self&#39;;/,
    );
  });

  it('puts every worker entry beside trainer.js, and the bundles need neither tsx nor package.json', () => {
    const main = readdirSync(path.join(OUT, 'main'));
    for (const name of Object.keys(WORKER_ENTRIES)) expect(main).toContain(`${name}.js`);
    const code = jsFiles(path.join(OUT, 'main'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(code).not.toMatch(/from "tsx|import\("tsx|tsWorkerBoot\.mjs"/);
    expect(code).not.toContain('__METARL_');
    expect(code).toContain(JSON.stringify(pkg.version));
  });
});
