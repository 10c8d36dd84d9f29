import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  PlaybackClock,
  exportRecord,
  forwardSpeed,
  getPath,
  paramStatus,
  placeGoalMarker,
  meanFrames,
  medianEpisode,
  pickableEpisodes,
  replayFrames,
  setPath,
  stageColor,
  stagesOf,
  taskFromFloorClick,
  taskStatus,
  type ParamInfo,
} from '../../../renderer/src/viewer/adaptation';
import { pointNav } from '../../../envs/pointNav';
import { cheetahDir } from '../../../envs/cheetah';
import type { EpisodeJson } from '../../../src/shared/protocol';
import { GOAL_COLOR } from '../../../src/shared/scene';

const goalParams = pointNav.params as ParamInfo[];

function episode(stage: number, index: number, ret: number, frames?: number): EpisodeJson {
  return {
    stage,
    index,
    return: ret,
    length: frames ? frames - 1 : 0,
    observations: [],
    actions: [],
    rewards: [],
    frames: frames ? Array.from({ length: frames }, (_, i) => [stage, index, i]) : undefined,
  };
}

describe('stagesOf', () => {
  it("uses the learner's own stage labels when its episodes carry them (nearest-task)", () => {
    const stages = stagesOf({
      stageUnit: 'episode',
      returns: [-60, -15],
      episodes: [
        { ...episode(0, 0, -60, 3), label: 'exploration' },
        { ...episode(1, 0, -15, 3), label: 'nearest: task #4 (d=0.31) [0.10, -0.20]' },
      ],
    });
    expect(stages.map((s) => s.label)).toEqual([
      'exploration',
      'nearest: task #4 (d=0.31) [0.10, -0.20]',
    ]);
    const plain = stagesOf({
      stageUnit: 'episode',
      returns: [-1],
      episodes: [episode(0, 0, -1, 3)],
    });
    expect(plain[0].label).toBe('Episode 1');
  });

  it('keeps one framed episode per stage, in stage order, with the stage mean return', () => {
    const stages = stagesOf({
      stageUnit: 'step',
      returns: [-40, -20, -12, -8],
      episodes: [
        episode(2, 1, -11, 5),
        episode(0, 0, -41, 4),
        episode(2, 0, -13, 6),
        episode(1, 0, -19),
        episode(3, 0, -7, 3),
      ],
    });
    expect(stages.map((s) => s.stage)).toEqual([0, 2, 3]);
    expect(stages[1].episodeReturn).toBe(-13);
    expect(stages[1].meanReturn).toBe(-12);
    expect(stages[0].label).toBe('Before adaptation');
    expect(stages[2].label).toBe('After step 3');
    expect(new Set(stages.map((s) => s.color)).size).toBe(3);
    expect(replayFrames(stages)).toBe(6);
  });

  it('replays a chosen episode of every stage, or the mean path with the mean reward per step', () => {
    const ep = (stage: number, index: number, xs: number[], rewards: number[]): EpisodeJson => ({
      stage,
      index,
      return: rewards.reduce((a, b) => a + b, 0),
      length: rewards.length,
      observations: [],
      actions: [],
      rewards,
      frames: xs.map((x) => [x, 2 * x]),
    });
    const reply = {
      stageUnit: 'step' as const,
      returns: [-3, -1],
      episodes: [
        ep(0, 0, [0, 1, 2], [-1, -2]),
        ep(0, 1, [0, 3], [-3]),
        ep(1, 0, [0, 1], [-1]),
        ep(1, 1, [0, 5], [-5]),
      ],
    };
    expect(pickableEpisodes(reply)).toEqual([0, 1]);
    const second = stagesOf(reply, 1);
    expect(second.map((s) => s.episodeReturn)).toEqual([-3, -5]);
    expect(Array.from(second[0].frames[1])).toEqual([3, 6]);
    const mean = stagesOf(reply, 'mean');
    // The shorter episode holds its last frame: (2 + 3) / 2 at step 2.
    expect(mean[0].frames.map((f) => f[0])).toEqual([0, 2, 2.5]);
    expect(mean[0].rewards).toEqual([-2, -2]);
    expect(mean[0].episodeReturn).toBe(-3);
    expect(meanFrames([[[1, 1]], [[3, 5]]]).map((f) => Array.from(f))).toEqual([[2, 3]]);
  });

  it("replays each stage's typical episode (median return), or an adaptive learner's typical trial", () => {
    const returns = [
      [-50, -10, -30, -20],
      [-5, -40, -8, -6],
    ];
    const episodes = returns.flatMap((rs, stage) => rs.map((r, i) => episode(stage, i, r, 3)));
    // Gradient steps: each stage on its own. Before: −30 (sorted −50, −30, −20, −10: the lower
    // middle); after: −8 (sorted −40, −8, −6, −5).
    const steps = stagesOf({ stageUnit: 'step', returns: [-27.5, -14.75], episodes }, 'median');
    expect(steps.map((s) => s.episodeReturn)).toEqual([-30, -8]);
    expect(steps.map((s) => s.frames[0][1])).toEqual([2, 2]);
    // Episodes of a trial: one trial throughout, the one whose total is the median (trials'
    // totals −55, −50, −38, −26: trial 1).
    const trial = stagesOf({ stageUnit: 'episode', returns: [-27.5, -14.75], episodes }, 'median');
    expect(trial.map((s) => s.episodeReturn)).toEqual([-10, -40]);
    expect(trial.map((s) => s.frames[0][1])).toEqual([1, 1]);
    // One episode: itself; equal returns in index order.
    expect(medianEpisode([{ index: 4, return: 1 }])).toEqual({ index: 4, return: 1 });
    expect(
      medianEpisode([
        { index: 1, return: 0 },
        { index: 0, return: 0 },
      ]).index,
    ).toBe(0);
  });

  it('never colours a stage like the goal', () => {
    for (let s = 0; s < 20; s++) expect(stageColor(s).toLowerCase()).not.toBe(GOAL_COLOR);
  });

  it('labels RL² stages as episodes of the trial', () => {
    const [a, b] = stagesOf({
      stageUnit: 'episode',
      returns: [-30, -10],
      episodes: [episode(0, 0, -30, 2), episode(1, 0, -10, 2)],
    });
    expect([a.label, b.label]).toEqual(['Episode 1', 'Episode 2']);
  });
});

describe('PlaybackClock', () => {
  it('advances at fps × speed, loops, and stops at the end when not looping', () => {
    const c = new PlaybackClock(100, 30);
    expect(c.tick(1000)).toBe(0);
    c.playing = true;
    expect(c.tick(1000)).toBe(30);
    c.speed = 2;
    expect(c.tick(500)).toBe(60);
    c.tick(1000);
    expect(c.frame).toBe(0); // 120 > 99: looped
    c.loop = false;
    c.seek(90);
    c.tick(1000);
    expect(c.frame).toBe(99);
    expect(c.playing).toBe(false);
    c.seek(-5);
    expect(c.frame).toBe(0);
  });

  it('never reports a frame outside [0, length)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 500 }),
        fc.array(fc.float({ min: 0, max: 5000, noNaN: true }), { maxLength: 20 }),
        (len, dts) => {
          const c = new PlaybackClock(len);
          c.playing = true;
          c.speed = 3;
          for (const dt of dts) {
            const f = c.tick(dt);
            if (f < 0 || (len > 0 && f >= len) || (len === 0 && f !== 0)) return false;
          }
          return true;
        },
      ),
    );
  });
});

describe('task editing', () => {
  it('reads and writes dotted paths without mutating the original', () => {
    const t = { goal: [0.1, 0.2], mass: 1 };
    const u = setPath(t, 'goal.1', -0.4);
    expect(getPath(u, 'goal.1')).toBe(-0.4);
    expect(getPath(t, 'goal.1')).toBe(0.2);
    expect(getPath(setPath(t, 'mass', 2), 'mass')).toBe(2);
    expect(getPath(setPath({}, 'a.0', 3), 'a.0')).toBe(3);
    expect(getPath(t, 'nope.3')).toBeUndefined();
  });

  it('marks values inside the training range, out of distribution, or invalid', () => {
    const p = goalParams[0];
    expect(paramStatus(p, 0.3)).toBe('in');
    expect(paramStatus(p, 1.5)).toBe('out');
    expect(paramStatus(p, 2.5)).toBe('invalid');
    expect(paramStatus(p, undefined)).toBe('invalid');
    expect(taskStatus(goalParams, { goal: [0.1, -0.2] })).toBe('in');
    expect(taskStatus(goalParams, { goal: [0.1, -0.9] })).toBe('out');
  });

  it('places the goal where the floor was clicked, clamped to the allowed range, and moves the marker', () => {
    const env = pointNav.make({ goal: [0, 0] });
    const scene = env.scene();
    const t = taskFromFloorClick(scene, goalParams, { goal: [0, 0] }, [0.25, -0.4, 0]);
    expect(t).toEqual({ goal: [0.25, -0.4] });
    expect(pointNav.parseTask(t)).toEqual(t);
    expect(taskFromFloorClick(scene, goalParams, t, [9, -9, 0])).toEqual({ goal: [2, -2] });
    const frame = placeGoalMarker(scene, env.frame(), t);
    // The marker lands where the env itself would draw this goal.
    const truth = pointNav.make(t as { goal: [number, number] });
    truth.reset();
    expect(Array.from(frame)).toEqual(Array.from(truth.frame()));
  });

  it('refuses a floor click on a family without goals', () => {
    const scene = { ...pointNav.make({ goal: [0, 0] }).scene(), floor: { height: 0 } };
    expect(() => taskFromFloorClick(scene, goalParams, {}, [0, 0, 0])).toThrow(/no goal/);
  });

  it('exports the task and every run of the adaptation', () => {
    const rec = exportRecord({ goal: [1, 2] }, [], new Date('2026-01-01T00:00:00Z'));
    expect(rec).toEqual({
      kind: 'metarl-adaptation',
      version: 1,
      exportedAt: '2026-01-01T00:00:00.000Z',
      task: { goal: [1, 2] },
      runs: [],
    });
  });
});

describe('forward speed readout', () => {
  it("equals the cheetah's mean rewarded velocity over an episode", () => {
    // cheetah-dir with direction +1 rewards v − 0.05‖a‖² per step, v the torso's x velocity:
    // adding the control cost back and averaging gives the mean v the readout must show.
    const env = cheetahDir.make({ direction: 1 }, 3);
    env.reset();
    const scene = env.scene();
    const frames = [Float32Array.from(env.frame())];
    const a = new Float32Array(6);
    let sumV = 0;
    const steps = 120;
    for (let t = 0; t < steps; t++) {
      for (let j = 0; j < 6; j++) a[j] = Math.sin(0.4 * t + j);
      const r = env.step(a);
      sumV += r.reward + 0.05 * a.reduce((s, x) => s + x * x, 0);
      frames.push(Float32Array.from(env.frame()));
    }
    env.close?.();
    const v = forwardSpeed(scene, frames);
    expect(v).not.toBeNull();
    expect(Math.abs(sumV / steps)).toBeGreaterThan(0.05);
    expect(v!).toBeCloseTo(sumV / steps, 3);
  });

  it('is null for scenes that are not runners or have no frame duration', () => {
    const frames = [new Float32Array(14), new Float32Array(14).fill(1)];
    const bodies = [
      { name: 'a', geom: { type: 'sphere' as const, radius: 1 }, color: '#000' },
      { name: 'b', geom: { type: 'sphere' as const, radius: 1 }, color: '#000' },
    ];
    expect(forwardSpeed({ bodies, follow: 'b', stepSeconds: 0.5 }, frames)).toBe(2);
    expect(forwardSpeed({ bodies, stepSeconds: 0.5 }, frames)).toBeNull();
    expect(forwardSpeed({ bodies, follow: 'b' }, frames)).toBeNull();
    expect(forwardSpeed({ bodies, follow: 'b', stepSeconds: 0.5 }, frames.slice(1))).toBeNull();
    expect(forwardSpeed(pointNav.make({ goal: [0.1, 0.1] }).scene(), frames)).toBeNull();
  });
});
