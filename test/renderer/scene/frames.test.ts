import { describe, expect, it } from 'vitest';
import { checkFrame, poseIndex, trailFromFrames } from '../../../renderer/scene/frames';
import { pointNav } from '../../../envs/pointNav';
import { Rng } from '../../../src/core/rng';

describe('scene frame helpers', () => {
  const env = pointNav.make({ goal: [0.3, -0.2] });
  const scene = env.scene();

  it('finds bodies, then markers, by name', () => {
    expect(poseIndex(scene, 'floor')).toBe(0);
    expect(poseIndex(scene, 'agent')).toBe(1);
    expect(poseIndex(scene, 'goal')).toBe(2);
    expect(poseIndex(scene, 'nope')).toBe(-1);
  });

  it('traces the trail body through a rollout, lifted along the up axis', () => {
    env.reset();
    const frames = [env.frame()];
    const rng = new Rng(1);
    const xs: number[] = [0];
    const ys: number[] = [0];
    for (let t = 0; t < 10; t++) {
      const a = Float32Array.of(rng.uniformRange(-0.1, 0.1), rng.uniformRange(-0.1, 0.1));
      const r = env.step(a);
      xs.push(r.obs[0]);
      ys.push(r.obs[1]);
      frames.push(env.frame());
    }
    const pts = trailFromFrames(scene, frames, 0.01);
    expect(pts.length).toBe(33);
    for (let i = 0; i < frames.length; i++) {
      expect(pts[i * 3]).toBeCloseTo(xs[i], 6);
      expect(pts[i * 3 + 1]).toBeCloseTo(ys[i], 6);
      // point-nav is z-up: the agent sits at z = 0.025, lifted by 0.01.
      expect(pts[i * 3 + 2]).toBeCloseTo(0.035, 6);
    }
  });

  it('rejects frames too short for the scene, naming the family', () => {
    expect(() => checkFrame(scene, new Float32Array(7))).toThrow(/point-nav.*need 21/);
    expect(() => trailFromFrames({ ...scene, trail: 'ghost' }, [env.frame()])).toThrow(
      /trail body "ghost"/,
    );
  });
});
