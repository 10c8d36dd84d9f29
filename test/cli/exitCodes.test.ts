// Exit status and signals of `metarl train` / `resume`, through the real binary: a failed
// (non-finite) run, a crashed trainer and a refused command exit non-zero; SIGTERM and SIGHUP
// stop the run cleanly (checkpoint, then exit 128 + n) and leave no trainer behind; a CLI
// killed with SIGKILL does not leave its trainer training either: the trainer notices its
// parent is gone, checkpoints and exits by itself.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main';
import { Trainer } from '../../src/training/trainer';
import { parseCommand } from '../../src/shared/protocol';
import '../training/hillClimber';

// Counts the trainer processes the in-process CLI starts.
const forks = vi.hoisted(() => ({ n: 0 }));
vi.mock('../../src/host/trainerHost', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../src/host/trainerHost')>();
  return {
    ...m,
    forkTrainer: (...args: Parameters<typeof m.forkTrainer>) => {
      forks.n++;
      return m.forkTrainer(...args);
    },
  };
});

const BIN = fileURLToPath(new URL('../../bin/metarl.js', import.meta.url));
const HILL = fileURLToPath(new URL('../training/hillClimber.ts', import.meta.url));
let dir: string;

interface Run {
  child: ChildProcess;
  done: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
  /** Resolves once stdout matches. */
  until(re: RegExp): Promise<void>;
}

function metarl(args: string[]): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of waiters.splice(0)) {
      if (w.re.test(stdout)) w.resolve();
      else waiters.push(w);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    done,
    until: (re) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(stdout)) return resolve();
        waiters.push({ re, resolve });
        void done.then(() => reject(new Error(`exited before ${re}: ${stdout}\n${stderr}`)));
      }),
  };
}

/** The trainer process a CLI process started (its child running trainerProcess.ts). */
function trainerPidOf(cliPid: number): number {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(cliPid)], {
    encoding: 'utf8',
  });
  const line = out.split('\n').find((l) => l.includes('trainerProcess'));
  if (!line) throw new Error(`no trainer under pid ${cliPid}:\n${out}`);
  return Number(line.trim().split(/\s+/)[0]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  for (let t = 0; t < withinMs; t += 100) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

const slowRun = (out: string) => [
  'train',
  '--algo',
  'test-hill',
  '--iterations',
  '500',
  '--backend',
  'cpu',
  '--preview-every',
  '0',
  '--checkpoint-every',
  '1000',
  '--hp',
  'slowMs=150',
  '--out',
  out,
  '--preload',
  HILL,
];

async function onlyRun(out: string): Promise<string> {
  const ids = await fs.readdir(path.join(dir, out));
  expect(ids).toHaveLength(1);
  return path.join(dir, out, ids[0]);
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-exit-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

// One case at a time: several CLI + trainer pairs at once starve the other test files on two cores.
describe('metarl exit status and signals', () => {
  it('a run stopped on a non-finite value exits 1', async () => {
    const r = await metarl([
      'train',
      '--algo',
      'test-hill',
      '--iterations',
      '5',
      '--backend',
      'cpu',
      '--preview-every',
      '0',
      '--hp',
      'nanAt=2',
      '--out',
      'nan',
      '--preload',
      HILL,
    ]).done;
    expect(r.stdout).toMatch(/failed: iteration 2: non-finite metric/);
    expect(r.code).toBe(1);
  });

  it('`resume --iterations 1e12` is refused before any trainer starts', async () => {
    const runDir = path.join(dir, 'fake', 'r1');
    await fs.mkdir(runDir, { recursive: true });
    await fs.writeFile(path.join(runDir, 'config.json'), '{}');
    let stderr = '';
    const err = vi
      .spyOn(console, 'error')
      .mockImplementation((...a: unknown[]) => void (stderr += a.join(' ') + '\n'));
    try {
      expect(await main(['resume', runDir, '--iterations', '1e12'])).toBe(1);
    } finally {
      err.mockRestore();
    }
    expect(stderr).toMatch(/--iterations must be an integer in \[1, 1000000\], got "1e12"/);
    expect(forks.n).toBe(0);
  });

  it('the memory-bomb config and a non-finite flag are refused (exit 1) before any trainer starts', async () => {
    let stderr = '';
    const err = vi
      .spyOn(console, 'error')
      .mockImplementation((...a: unknown[]) => void (stderr += a.join(' ') + '\n'));
    try {
      const bomb = [
        'train',
        '--hp',
        'hidden=[1024,1024,1024,1024]',
        '--hp',
        'metaBatchSize=1000',
        '--hp',
        'episodesPerTask=1000',
        '--out',
        path.join(dir, 'bomb'),
      ];
      expect(await main(bomb)).toBe(1);
      expect(await main(['train', '--hp', 'innerLr=1e999', '--out', path.join(dir, 'bomb')])).toBe(
        1,
      );
    } finally {
      err.mockRestore();
    }
    expect(stderr).toMatch(
      /This run would need about [\d.]+ TB of memory .* above the limit of .*--allow-large/,
    );
    expect(stderr).toMatch(
      /config\.hyper\.innerLr: not finite \(got Infinity\); must be a finite number in \[0, 100\]/,
    );
    expect(forks.n).toBe(0);
    await expect(fs.access(path.join(dir, 'bomb'))).rejects.toThrow();
  });

  it('a second writer is refused (exit 1) naming the process that trains the run, and changes nothing', async () => {
    // This test process trains a run, as another CLI, the web host or the desktop app would.
    const root = path.join(dir, 'locked');
    const trainer = new Trainer({ runsRoot: root, emit: () => {} });
    try {
      const config = {
        family: 'point-nav',
        algo: 'test-hill',
        backend: 'cpu',
        iterations: 1000,
        previewEvery: 0,
        workers: 1,
        hyper: { slowMs: 50 },
      } as const;
      const { runId } = await trainer.dispatch(
        'mrl:run.start',
        parseCommand('mrl:run.start', { config }),
      );
      const r = await metarl([
        'resume',
        path.join(root, runId),
        '--iterations',
        '2000',
        '--preload',
        HILL,
      ]).done;
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `Run ${runId} is being trained by another process \\(pid ${process.pid} on ${os.hostname()}, since `,
        ),
      );
      expect(
        JSON.parse(await fs.readFile(path.join(root, runId, 'config.json'), 'utf8')).config
          .iterations,
      ).toBe(1000);
    } finally {
      await trainer.shutdown();
    }
  });

  it('a trainer killed under a run makes the command exit 1', async () => {
    const run = metarl(slowRun('crash'));
    await run.until(/iteration 2\//);
    process.kill(trainerPidOf(run.child.pid!), 'SIGKILL');
    const r = await run.done;
    expect(r.stdout).toMatch(
      /crashed: The trainer process stopped unexpectedly \(killed by SIGKILL\)/,
    );
    expect(r.code).toBe(1);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)(
    '%s stops the run with a checkpoint, leaves no trainer, and exits %i',
    async (signal, status) => {
      const out = `sig-${signal}`;
      const run = metarl(slowRun(out));
      await run.until(/iteration 2\//);
      const trainer = trainerPidOf(run.child.pid!);
      run.child.kill(signal);
      const r = await run.done;
      expect(r.stderr).toMatch(new RegExp(`${signal}: Stopping after the current iteration`));
      expect(r.code).toBe(status);
      expect(await gone(trainer, 5000)).toBe(true);
      const runDir = await onlyRun(out);
      const state = JSON.parse(await fs.readFile(path.join(runDir, 'state.json'), 'utf8'));
      expect(state.state).toBe('stopped');
      // --checkpoint-every 1000: the only checkpoint is the one the stop wrote.
      expect(await fs.readdir(path.join(runDir, 'checkpoints'))).toEqual([String(state.iteration)]);
      expect(state.iteration).toBeGreaterThanOrEqual(2);
    },
  );

  it('a CLI killed with SIGKILL leaves no trainer training: it checkpoints and exits by itself', async () => {
    const run = metarl(slowRun('orphan'));
    await run.until(/iteration 2\//);
    const trainer = trainerPidOf(run.child.pid!);
    run.child.kill('SIGKILL');
    await run.done;
    expect(await gone(trainer, 15_000)).toBe(true);
    const runDir = await onlyRun('orphan');
    const state = JSON.parse(await fs.readFile(path.join(runDir, 'state.json'), 'utf8'));
    expect(state.state).toBe('stopped');
    expect(await fs.readdir(path.join(runDir, 'checkpoints'))).toEqual([String(state.iteration)]);
    // Nobody holds the run any more: it can be resumed.
    await expect(fs.access(path.join(runDir, 'run.lock'))).rejects.toThrow();
  });
});
