// CLI smoke runs through the real `metarl` binary (tsx), in a temp directory: train → runs →
// eval (table and --json) → adapt → resume; Ctrl-C stops cleanly with a checkpoint; bad
// flags are rejected naming the field and its range. The hill-climber test learner stands
// in for the tfjs learners (preloaded into the trainer process).
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main';

const BIN = fileURLToPath(new URL('../../bin/metarl.js', import.meta.url));
const HILL = fileURLToPath(new URL('../training/hillClimber.ts', import.meta.url));
let dir: string;

function metarl(
  args: string[],
  opts: { onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      opts.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The same main() the binary runs, in-process (fast), capturing its output. */
async function inproc(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const err = vi
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void (stderr += a.join(' ') + '\n'));
  const ew = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((t: string | Uint8Array) => ((stderr += String(t)), true));
  const ow = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((t: string | Uint8Array) => ((stdout += String(t)), true));
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    process.chdir(cwd);
    err.mockRestore();
    ew.mockRestore();
    ow.mockRestore();
  }
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-cli-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('metarl CLI', () => {
  it('train → runs → eval → adapt → resume', async () => {
    const train = await metarl([
      'train',
      '--env',
      'point-nav',
      '--algo',
      'test-hill',
      '--seed',
      '2',
      '--iterations',
      '4',
      '--backend',
      'cpu',
      '--checkpoint-every',
      '2',
      '--preview-every',
      '2',
      '--out',
      'runs',
      '--preload',
      HILL,
    ]);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    expect(train.stdout).toMatch(/iteration 4\/4/);
    const runId = /Run (\S+) finished 4 iterations/.exec(train.stdout)![1];
    const runDir = path.join(dir, 'runs', runId);
    expect(
      (await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n'),
    ).toHaveLength(4);
    expect(await fs.readdir(path.join(runDir, 'checkpoints'))).toEqual(['2', '4']);

    const runs = await inproc(['runs', '--runs', 'runs', '--json']);
    expect(JSON.parse(runs.stdout)).toMatchObject([
      { runId, family: 'point-nav', algo: 'test-hill', iteration: 4, state: 'finished' },
    ]);

    const table = await inproc([
      'eval',
      `runs/${runId}`,
      '--tasks',
      '3',
      '--steps',
      '2',
      '--episodes',
      '2',
      '--preload',
      HILL,
      'random',
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /0 steps\s+-\d+\.\d\d\s+-\d+\.\d\d\n1 step\s+-\d+\.\d\d\s+-\d+\.\d\d\n2 steps/,
    );
    const json = await metarl([
      'eval',
      runId,
      '--runs',
      'runs',
      '--tasks',
      '3',
      '--steps',
      '2',
      '--episodes',
      '2',
      '--json',
      '--preload',
      HILL,
      'random',
    ]);
    const out = JSON.parse(json.stdout);
    expect(out.returns).toHaveLength(3);
    expect(out.baselines.random).toHaveLength(3);
    for (const v of [...out.returns, ...out.baselines.random])
      expect(Number.isFinite(v)).toBe(true);
    const paper = await inproc([
      'eval',
      `runs/${runId}`,
      '--tasks',
      '2',
      '--steps',
      '1',
      '--protocol',
      'paper',
      '--json',
      '--preload',
      HILL,
    ]);
    expect(JSON.parse(paper.stdout)).toMatchObject({ protocol: 'paper', episodesPerStage: 40 });
    const few = await inproc([
      'eval',
      `runs/${runId}`,
      '--protocol',
      'paper',
      '--episodes',
      '20',
      '--preload',
      HILL,
    ]);
    expect(few.stderr).toMatch(/--episodes must be an integer in \[40, 1000\], got "20"/);
    const unknown = await inproc([
      'eval',
      `runs/${runId}`,
      '--protocol',
      'bogus',
      '--preload',
      HILL,
    ]);
    expect(unknown.stderr).toMatch(/Unknown evaluation protocol "bogus"\. Known: default, paper/);
    // --per-task: each test task's returns, sorted along a task axis; the JSON carries them.
    const evalPerTask = (...flags: string[]) =>
      inproc([
        'eval',
        `runs/${runId}`,
        '--tasks',
        '4',
        '--steps',
        '1',
        '--episodes',
        '2',
        ...flags,
        '--preload',
        HILL,
      ]);
    const perTask = await evalPerTask('--per-task', '|goal|');
    expect(perTask.code).toBe(0);
    const rows = perTask.stdout.split('per task, sorted by |goal|:\n')[1].trim().split('\n');
    expect(rows[0]).toMatch(/^\s*\|goal\|\s+goal\[0\]\s+goal\[1\]\s+0 steps\s+1 step$/);
    const dist = rows.slice(1).map((r) => Number(r.trim().split(/\s+/)[0]));
    expect(dist).toHaveLength(4);
    expect(dist).toEqual([...dist].sort((a, b) => a - b));
    const perTaskJson = await evalPerTask('--per-task', '--json');
    const pt = JSON.parse(perTaskJson.stdout);
    expect(pt.perTask).toHaveLength(4);
    for (let st = 0; st < 2; st++)
      expect(
        pt.perTask.reduce((a: number, p: { returns: number[] }) => a + p.returns[st], 0) / 4,
      ).toBeCloseTo(pt.returns[st], 9);
    const badAxis = await evalPerTask('--per-task', 'speed');
    expect(badAxis.code).toBe(1);
    expect(badAxis.stderr).toMatch(
      /--per-task: no task axis "speed"; the tasks differ along: \|goal\|, goal\[0\], goal\[1\]/,
    );
    // --iteration best: the checkpoint meta-control chose; this run trained without it.
    const best = await inproc(['eval', `runs/${runId}`, '--iteration', 'best', '--preload', HILL]);
    expect(best.code).toBe(1);
    expect(best.stderr).toMatch(
      /has no best checkpoint: best\.json is written by runs trained with meta-control/,
    );

    const adapt = await metarl([
      'adapt',
      `runs/${runId}`,
      '--task',
      '{"goal":[0.3,0.2]}',
      '--steps',
      '2',
      '--episodes',
      '3',
      '--out',
      'adapt.json',
      '--preload',
      HILL,
    ]);
    expect(adapt.code).toBe(0);
    const rec = JSON.parse(await fs.readFile(path.join(dir, 'adapt.json'), 'utf8'));
    expect(rec).toMatchObject({
      task: { goal: [0.3, 0.2] },
      iteration: 4,
      stageUnit: 'step',
      inDistribution: true,
    });
    expect(rec.returns).toHaveLength(3);
    expect(rec.episodes.filter((e: { frames?: unknown[] }) => e.frames).length).toBe(3);
    expect(rec.scene.family).toBe('point-nav');
    const badTask = await inproc([
      'adapt',
      `runs/${runId}`,
      '--task',
      '{"goal":[7,0]}',
      '--out',
      'x.json',
      '--preload',
      HILL,
    ]);
    expect(badTask.code).toBe(1);
    expect(badTask.stderr).toMatch(/goal\.0 = 7 is outside \[-2, 2\]/);

    // A damaged newest checkpoint is skipped, and the user is told (not only events.log).
    const bin = path.join(runDir, 'checkpoints', '4', 'tensors.bin');
    const buf = await fs.readFile(bin);
    buf[0] ^= 0xff;
    await fs.writeFile(bin, buf);
    const resumed = await metarl([
      'resume',
      `runs/${runId}`,
      '--iterations',
      '6',
      '--preload',
      HILL,
    ]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(
      /metarl: Checkpoint 4 of \S+ is damaged and was skipped \(.*corrupt.*\); resuming from checkpoint 2/,
    );
    expect(resumed.stdout).toMatch(/finished 6 iterations/);
  });

  it('Ctrl-C stops a run cleanly with a checkpoint (exit status 130, as for any interrupted command)', async () => {
    let sent = false;
    const r = await metarl(
      [
        'train',
        '--algo',
        'test-hill',
        '--iterations',
        '500',
        '--backend',
        'cpu',
        '--preview-every',
        '0',
        '--hp',
        'slowMs=100',
        '--out',
        'sig',
        '--preload',
        HILL,
      ],
      {
        onStdout: (text, child) => {
          if (!sent && /iteration 2\//.test(text)) {
            sent = true;
            child.kill('SIGINT');
          }
        },
      },
    );
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/Stopping after the current iteration/);
    const m = /Run (\S+) stopped at iteration (\d+); checkpoint written/.exec(r.stdout)!;
    expect(m).not.toBeNull();
    const ckpts = await fs.readdir(path.join(dir, 'sig', m[1], 'checkpoints'));
    expect(ckpts).toEqual([m[2]]);
    const runs = JSON.parse((await inproc(['runs', '--runs', 'sig', '--json'])).stdout);
    expect(runs[0]).toMatchObject({ state: 'stopped', iteration: Number(m[2]) });
  });

  it('rejects bad flags and config files naming the field and the allowed range', async () => {
    const run = inproc;
    const seed = await run(['train', '--seed', '-1', '--out', 'bad']);
    expect(seed.code).toBe(1);
    expect(seed.stderr).toMatch(/config\.seed: must be an integer in \[0, 2147483647\] \(got -1\)/);
    const iters = await run(['train', '--iterations', 'many', '--out', 'bad']);
    expect(iters.stderr).toMatch(
      /config\.iterations: must be an integer in \[1, 1000000\] \(got "many"\)/,
    );
    await fs.writeFile(
      path.join(dir, 'cfg.json'),
      JSON.stringify({ family: 'point-nav', algo: 'test-hill', checkpointEvry: 3 }),
    );
    const file = await run(['train', '--config', 'cfg.json', '--out', 'bad']);
    expect(file.stderr).toMatch(/config: unknown field "checkpointEvry"/);
    const backend = await run(['train', '--backend', 'gpu', '--out', 'bad']);
    expect(backend.stderr).toMatch(
      /'gpu' is invalid\. Allowed choices are auto, tensorflow-gpu, tensorflow, wasm, cpu/,
    );
    const flag = await run(['train', '--bogus']);
    expect(flag.code).not.toBe(0);
    expect(flag.stderr).toMatch(/unknown option '--bogus'/);
    const missing = await run(['eval', 'no-such-run']);
    expect(missing.stderr).toMatch(/No run "no-such-run"/);
    // The learner's own schema, checked in the trainer process.
    const hp = await metarl([
      'train',
      '--algo',
      'test-hill',
      '--hp',
      'lr=99',
      '--backend',
      'cpu',
      '--out',
      'bad',
      '--preload',
      HILL,
    ]);
    expect(hp.code).toBe(1);
    expect(hp.stderr).toMatch(/config\.hyper\.lr: .*10.*\(got 99\)/);
    // A combination MAML cannot run is refused naming the field, before any training.
    const combo = await metarl([
      'train',
      '--algo',
      'maml',
      '--hp',
      'innerCurvature=lvc',
      '--hp',
      'outer=ppo',
      '--backend',
      'cpu',
      '--out',
      'bad',
    ]);
    expect(combo.code).toBe(1);
    expect(combo.stderr).toMatch(
      /config\.hyper\.innerCurvature: 'lvc' runs with outer 'trpo' only, not 'ppo' .*\(got "lvc"\)/,
    );
  });
});
