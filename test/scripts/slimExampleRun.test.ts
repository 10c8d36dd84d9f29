// scripts/slimExampleRun.js, which makes a trained run small enough to ship in examples/runs:
// it keeps the newest checkpoint, the return curve up to it and the config, drops the events
// log, a meta-validated run's best.json, older checkpoints, unfinished checkpoint writes and
// every other metric, and refuses a run that is being trained (it holds run.lock) or has no
// checkpoint.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/slimExampleRun.js');

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function fakeRun(checkpoints: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'metarl-slim-'));
  made.push(dir);
  writeFileSync(path.join(dir, 'config.json'), '{}\n');
  writeFileSync(path.join(dir, 'state.json'), '{"state":"finished","iteration":3}\n');
  writeFileSync(path.join(dir, 'events.log'), 'started\n');
  writeFileSync(path.join(dir, 'best.json'), '{"iteration":1,"validationReturn":-1}\n');
  const rows = [1, 2, 3].map((iteration) => ({
    iteration,
    time: `2026-12-02T08:0${iteration}:00.000Z`,
    wallMs: 1000,
    metrics: {
      'returns/pre': -iteration,
      'returns/post_1': iteration,
      'loss/outer': 0.5,
      'time/sampling': 0.25,
    },
  }));
  writeFileSync(path.join(dir, 'metrics.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
  for (const c of checkpoints) {
    mkdirSync(path.join(dir, 'checkpoints', c), { recursive: true });
    writeFileSync(path.join(dir, 'checkpoints', c, 'manifest.json'), '{}');
  }
  return dir;
}

const slim = (dir: string) =>
  spawnSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8', timeout: 30_000 });

describe('slimExampleRun.js', () => {
  it('keeps the newest checkpoint and the return curve (with sampling times) up to it, and drops the rest', () => {
    const dir = fakeRun(['1', '2', '.tmp-3']);
    const r = slim(dir);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(path.join(dir, 'checkpoints'))).toEqual(['2']);
    expect(existsSync(path.join(dir, 'events.log'))).toBe(false);
    expect(existsSync(path.join(dir, 'best.json'))).toBe(false);
    const rows = readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { iteration: number; metrics: Record<string, number> });
    expect(rows.map((row) => row.iteration)).toEqual([1, 2]);
    expect(rows[1].metrics).toEqual({
      'returns/pre': -2,
      'returns/post_1': 2,
      'time/sampling': 0.25,
    });
  });

  it('refuses a run being trained, and one without a checkpoint, changing nothing', () => {
    const live = fakeRun(['1', '2']);
    writeFileSync(path.join(live, 'run.lock'), '{}');
    const r = slim(live);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('run.lock');
    expect(readdirSync(path.join(live, 'checkpoints')).sort()).toEqual(['1', '2']);
    expect(existsSync(path.join(live, 'events.log'))).toBe(true);

    const none = fakeRun([]);
    const n = slim(none);
    expect(n.status).toBe(1);
    expect(n.stderr).toContain('has no checkpoint');
  });
});
