// CLI smoke runs with the real learners on point-nav (small settings, a few iterations):
// `metarl train` → `metarl eval --json` in a temp directory, through the real binary.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/metarl.js', import.meta.url));
let dir: string;

function metarl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-cli-real-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('metarl train → eval with RL²', () => {
  it('trains a few iterations and evaluates per episode', async () => {
    const hp = [
      '--hp',
      'metaBatchSize=2',
      '--hp',
      'trialsPerTask=1',
      '--hp',
      'hiddenSize=8',
      '--hp',
      'epochs=1',
      '--hp',
      'minibatches=1',
    ];
    const train = await metarl([
      'train',
      '--env',
      'point-nav',
      '--algo',
      'rl2',
      '--seed',
      '1',
      '--out',
      'runs',
      '--iterations',
      '2',
      '--workers',
      '1',
      '--preview-every',
      '0',
      ...hp,
    ]);
    expect(train.code, train.stderr).toBe(0);
    const runId = /Run (\S+) finished 2 iterations/.exec(train.stdout)![1];
    const meta = JSON.parse(
      await fs.readFile(path.join(dir, 'runs', runId, 'config.json'), 'utf8'),
    );
    expect(meta.config).toMatchObject({
      family: 'point-nav',
      algo: 'rl2',
      seed: 1,
      iterations: 2,
      hyper: { metaBatchSize: 2, hiddenSize: 8 },
    });
    expect(['wasm', 'cpu', 'tensorflow']).toContain(meta.backend.name);
    const ev = await metarl(['eval', `runs/${runId}`, '--tasks', '2', '--episodes', '2', '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    const out = JSON.parse(ev.stdout);
    expect(out.stageUnit).toBe('episode');
    expect(out.returns).toHaveLength(2);
    for (const v of out.returns) expect(v).toBeLessThan(0);
  });
});

describe('metarl train → eval with MAML', () => {
  // Six CLI processes, each loading tfjs: on two shared cores a minute is not always enough.
  it('trains a few iterations and prints the steps table, with the random baseline', async () => {
    const hp = [
      '--hp',
      'metaBatchSize=2',
      '--hp',
      'episodesPerTask=2',
      '--hp',
      'hidden=[8]',
      '--hp',
      'cgIters=2',
    ];
    const train = await metarl([
      'train',
      '--env',
      'point-nav',
      '--algo',
      'maml',
      '--seed',
      '1',
      '--out',
      'runs',
      '--iterations',
      '2',
      '--workers',
      '1',
      '--preview-every',
      '1',
      ...hp,
    ]);
    expect(train.code, train.stderr).toBe(0);
    const runId = /Run (\S+) finished 2 iterations/.exec(train.stdout)![1];
    expect(await fs.readdir(path.join(dir, 'runs', runId, 'checkpoints'))).toEqual(['2']);
    const ev = await metarl([
      'eval',
      `runs/${runId}`,
      '--tasks',
      '2',
      '--steps',
      '2',
      '--episodes',
      '2',
      'random',
    ]);
    expect(ev.code, ev.stderr).toBe(0);
    expect(ev.stdout).toMatch(
      /stage\s+maml\s+random\n0 steps\s+-\d+\.\d\d\s+-\d+\.\d\d\n1 step\s+-\d+\.\d\d\s+-\d+\.\d\d\n2 steps/,
    );
    // The random-init baseline is fine-tuned with its own best step size, found on training tasks.
    expect(ev.stdout).toMatch(/random fine-tuned with step size [\d.]+ \(best on training tasks\)/);
    const json = await metarl([
      'eval',
      `runs/${runId}`,
      '--tasks',
      '2',
      '--steps',
      '1',
      '--episodes',
      '2',
      '--json',
      '--baseline-step',
      '0.3',
      'random',
    ]);
    const out = JSON.parse(json.stdout);
    expect(out).toMatchObject({ stageUnit: 'step', tasks: 2, baselineStepSizes: { random: 0.3 } });
    expect(out.returns).toHaveLength(2);
    expect(out.baselines.random).toHaveLength(2);
    // adapt --step-size 0 keeps θ: the stages differ only by their noise.
    const ad = await metarl([
      'adapt',
      `runs/${runId}`,
      '--task',
      '{"goal":[0.2,0.1]}',
      '--steps',
      '1',
      '--episodes',
      '2',
      '--step-size',
      '0',
      '--out',
      'a.json',
    ]);
    expect(ad.code, ad.stderr).toBe(0);
    const rec = JSON.parse(await fs.readFile(path.join(dir, 'a.json'), 'utf8'));
    expect(rec.returns).toHaveLength(2);
    const badStep = await metarl([
      'adapt',
      `runs/${runId}`,
      '--step-size',
      '-1',
      '--out',
      'b.json',
    ]);
    expect(badStep.stderr).toMatch(/--step-size must be a number in \[0, 100\], got "-1"/);
    const bad = await metarl([
      'eval',
      `runs/${runId}`,
      '--tasks',
      '2',
      '--baseline-step',
      'big',
      'random',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(
      /--baseline-step must be "tune" or a number in \[0, 100\], got "big"/,
    );
  }, 180_000);
});
