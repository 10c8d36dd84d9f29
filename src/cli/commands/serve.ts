// `metarl serve` (and `npm run web`): the web host on 127.0.0.1 with a trainer child
// process, serving the built renderer (out/renderer, built by `npm run build:web`).
// `metarl bench`: runs the project's benchmark scripts (`npm run bench:<name>`).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { collect, ExitStatus } from './common';
import { forkTrainer } from '../../host/trainerHost';
import { rendererBuilt, startWebHost } from '../../host/webHost';

const REPO = path.resolve(fileURLToPath(new URL('../../../', import.meta.url)));
export const DEFAULT_RENDERER_DIR = path.join(REPO, 'out', 'renderer');

function npmRun(script: string, args: string[] = []): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.platform === 'win32' ? 'npm.cmd' : 'npm',
      ['run', script, ...(args.length ? ['--', ...args] : [])],
      { cwd: REPO, stdio: 'inherit' },
    );
    child.on('exit', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(1));
  });
}

function scripts(): Record<string, string> {
  return (
    (
      JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
        scripts?: Record<string, string>;
      }
    ).scripts ?? {}
  );
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'start the local web host (127.0.0.1) serving the app in a browser; prints a URL with an access token',
    )
    .option('--port <n>', 'port (0 = any free port)', '5317')
    .option('--host <addr>', 'loopback address to bind: 127.0.0.1, ::1 or localhost', '127.0.0.1')
    .option('--runs <dir>', 'runs directory', 'runs')
    .option('--renderer <dir>', 'built renderer directory', DEFAULT_RENDERER_DIR)
    .option('--build', 'build the renderer first if it is not built (npm run build:web)')
    .option(
      '--preload <module>',
      'module the trainer imports first (extra learners; repeatable)',
      collect,
      [],
    )
    .action(
      async (f: {
        port: string;
        host: string;
        runs: string;
        renderer: string;
        build?: boolean;
        preload?: string[];
      }) => {
        const port = Number(f.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new Error(`--port must be an integer in [0, 65535], got "${f.port}"`);
        const rendererDir = path.resolve(f.renderer);
        if (!rendererBuilt(rendererDir)) {
          if (f.build && scripts()['build:web']) {
            process.stderr.write(
              `The renderer is not built (${rendererDir}): building it with \`npm run build:web\`…\n`,
            );
            const code = await npmRun('build:web');
            if (code !== 0) throw new Error('`npm run build:web` failed; see its output above');
          } else {
            process.stderr.write(
              `Note: the renderer is not built (no index.html in ${rendererDir}). Build it with \`npm run build:web\` (or start with \`npm run web\`, which builds it). Serving the protocol on /ws meanwhile.\n`,
            );
          }
        }
        const web = await startWebHost({
          launcher: forkTrainer({
            runsRoot: path.resolve(f.runs),
            preload: f.preload,
            log: (l) => process.stderr.write(`[trainer] ${l}\n`),
          }),
          rendererDir,
          port,
          host: f.host,
        });
        process.stdout.write(
          `Meta-RL Studio is served at ${web.url}\n(runs in ${path.resolve(f.runs)}; Ctrl-C to stop)\n`,
        );
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.stderr.write(
              '\nStopping the web host (a live run is stopped with a checkpoint)…\n',
            );
            resolve();
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          process.once('SIGHUP', stop);
        });
        await web.close();
      },
    );

  program
    .command('bench [name]')
    .description('run a benchmark script (npm run bench:<name>); without a name, list them')
    .action(async (name?: string) => {
      const benches = Object.keys(scripts())
        .filter((s) => s.startsWith('bench:'))
        .map((s) => s.slice('bench:'.length));
      if (!name) {
        process.stdout.write(
          `Benchmarks: ${benches.join(', ') || '(none)'}\nRun one: metarl bench <name>\n`,
        );
        return;
      }
      if (!benches.includes(name))
        throw new Error(`Unknown benchmark "${name}". Known: ${benches.join(', ')}`);
      const code = await npmRun(`bench:${name}`);
      if (code !== 0) throw new ExitStatus(code);
    });
}
