// The trained example runs shipped in examples/runs/: a MAML and an RL² run on point-nav are
// among them; each is small as shipped (its config, state, return curve with sampling times
// and one checkpoint: what scripts/slimExampleRun.js leaves), finished training, listed with
// its command in examples/runs/README.md, loads from its checkpoint and adapts — on a few
// held-out test tasks, the mean return after the stages it was trained with (MAML's inner
// steps, RL²'s later episodes of a trial) is above the return before adaptation; RL² on the
// MuJoCo cheetah-vel, which adapts within its first episode, beats what any policy blind to
// the target velocity can return. `metarl eval` on an example writes nothing into it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main';
import { evaluateLearner } from '../../src/training/evaluate';
import { listRunIds, readMeta, readMetrics, readState } from '../../src/training/runDir';
import { loadRunLearner } from '../../src/training/runLoader';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples/runs');
const ids = await listRunIds(EXAMPLES);
const metas = await Promise.all(ids.map((id) => readMeta(path.join(EXAMPLES, id))));

/** Every file under a folder with its size and modification time. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const p = path.join(e.parentPath, e.name);
      const st = statSync(p);
      return `${path.relative(dir, p)} ${st.size} ${st.mtimeMs}`;
    })
    .sort();
}

describe('example runs', () => {
  it('include a trained MAML run and a trained RL² run on point-nav', () => {
    for (const algo of ['maml', 'rl2'])
      expect(
        metas.some((m) => m.config.algo === algo && m.config.family === 'point-nav'),
        algo,
      ).toBe(true);
  });

  for (const [i, id] of ids.entries()) {
    const { algo, family, iterations } = metas[i].config;

    it(`${id} is shipped small and finished, and the README says how it was made`, async () => {
      const dir = path.join(EXAMPLES, id);
      expect(readdirSync(dir).sort()).toEqual([
        'checkpoints',
        'config.json',
        'metrics.jsonl',
        'state.json',
      ]);
      const checkpoints = readdirSync(path.join(dir, 'checkpoints'));
      expect(checkpoints).toEqual([String(iterations)]);
      expect(await readState(dir)).toMatchObject({ state: 'finished', iteration: iterations });
      const rows = await readMetrics(dir);
      expect(rows.map((r) => r.iteration)).toEqual(
        Array.from({ length: iterations }, (_, k) => k + 1),
      );
      for (const r of rows)
        for (const k of Object.keys(r.metrics))
          expect(k.startsWith('returns/') || k === 'time/sampling', k).toBe(true);
      const bytes = snapshot(dir).reduce((s, line) => s + Number(line.split(' ').at(-2)), 0);
      // The largest: RL² on point-nav, a 64-unit GRU whose checkpoint (parameters and Adam's
      // two moments) takes 168 KB, beside 600 rows of returns.
      expect(bytes).toBeLessThan(384 * 1024);
      const readme = readFileSync(path.join(EXAMPLES, 'README.md'), 'utf8');
      expect(readme).toContain(`examples/runs/${id}`);
      expect(readme).toContain(`--env ${family} --algo ${algo} --seed ${metas[i].config.seed}`);
    });

    if (algo === 'rl2' && family === 'mujoco-cheetah-vel') {
      // RL² on cheetah-vel tells the target from the rewards of its first steps, so its
      // first episode is already adapted and the second adds little. The check is instead
      // against every policy that ignores the task: run at targets 0.4 and 1.8 m/s, such a
      // policy's two returns sum to at most −1.4 · 200 = −280 (|v − 0.4| + |v − 1.8| ≥ 1.4
      // at every step, whatever v), as would any mix of the two speeds.
      it(`${id} (${algo} on ${family}) runs near each target in its first episode`, async () => {
        const run = await loadRunLearner(EXAMPLES, id, undefined, { workers: 1 });
        try {
          const first: number[] = [];
          for (const velocity of [0.4, 1.8]) {
            const r = await run.learner.adapt(
              { velocity },
              { steps: 1, episodesPerStage: 4, seed: 0 },
            );
            first.push(r.returns[0]);
          }
          expect(first[0] + first[1], `episode 1 at 0.4 and 1.8 m/s: ${first}`).toBeGreaterThan(
            -200,
          );
        } finally {
          await run.learner.dispose();
        }
      });
      continue;
    }

    it(`${id} (${algo} on ${family}) adapts: return after adaptation above before`, async () => {
      const run = await loadRunLearner(EXAMPLES, id, undefined, { workers: 1 });
      try {
        const hyper = run.meta.config.hyper;
        const steps =
          run.spec.stageUnit === 'episode'
            ? Math.max(1, Number(hyper.episodesPerTrial ?? 2) - 1)
            : Math.max(1, Number(hyper.innerSteps ?? 1));
        const returns = await evaluateLearner(run.learner, run.family, {
          tasks: 4,
          steps,
          episodesPerStage: 10,
          seed: 0,
        });
        expect(returns).toHaveLength(steps + 1);
        expect(returns[steps]).toBeGreaterThan(returns[0]);
      } finally {
        await run.learner.dispose();
      }
    });
  }

  it('metarl eval on an example evaluates it and writes nothing into examples/runs', async () => {
    const id = ids[metas.findIndex((m) => m.config.family === 'point-nav')];
    const before = snapshot(EXAMPLES);
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      code = await main([
        'eval',
        path.join(EXAMPLES, id),
        '--tasks',
        '2',
        '--steps',
        '1',
        '--episodes',
        '2',
        '--json',
      ]);
    } finally {
      write.mockRestore();
    }
    expect(code).toBe(0);
    const result = JSON.parse(out.join('')) as { run: string; returns: number[] };
    expect(result.run).toBe(id);
    expect(result.returns).toHaveLength(2);
    expect(result.returns.every(Number.isFinite)).toBe(true);
    expect(snapshot(EXAMPLES)).toEqual(before);
  });
});
