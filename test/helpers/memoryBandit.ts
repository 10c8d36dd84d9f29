// A tiny task family for RL² tests, built so that adapting REQUIRES the hidden state to
// survive the episode boundary. Each episode has two steps; the observation is the step
// index. At step 0 the reward is goal·a (goal = ±1 is the task); step 1 always pays 0.
// The only informative transition is step 0, so the first input of the next episode
// (which carries step 1's action and zero reward) says nothing about the goal: an agent
// whose memory is reset per episode earns 0 in expectation in every episode, one that
// keeps it can earn ~+1 from episode 2 on.
import type { Env, ResetResult, StepResult, TaskFamily } from '../../src/core/env';
import { Box } from '../../src/core/spaces';
import type { Rng } from '../../src/core/rng';
import type { SceneDescription } from '../../src/shared/scene';

export type BanditTask = { goal: number };

class MemoryBanditEnv implements Env<BanditTask> {
  readonly observationSpace = new Box(0, 1, 1);
  readonly actionSpace = new Box(-1, 1, 1);
  readonly horizon = 2;
  private t = 0;
  private readonly obs = new Float32Array(1);
  constructor(public task: BanditTask) {}
  setTask(task: BanditTask): void {
    this.task = { goal: task.goal };
  }
  reset(): ResetResult {
    this.t = 0;
    this.obs[0] = 0;
    return { obs: this.obs, info: {} };
  }
  step(action: Float32Array): StepResult {
    const a = Math.max(-1, Math.min(1, action[0]));
    const reward = this.t === 0 ? this.task.goal * a : 0;
    this.t++;
    this.obs[0] = this.t;
    return { obs: this.obs, reward, terminated: false, truncated: this.t >= 2, info: {} };
  }
  scene(): SceneDescription {
    throw new Error('memory bandit has no scene');
  }
  frame(out = new Float32Array(7)): Float32Array {
    out.fill(0);
    out[0] = this.t;
    return out;
  }
}

export const memoryBandit: TaskFamily<BanditTask> = {
  id: 'memory-bandit',
  title: 'Memory bandit (test)',
  description: 'Two-step episodes; only the first step reveals the task.',
  observationSize: 1,
  actionSize: 1,
  horizon: 2,
  params: [],
  docs: {
    observation: 'step index',
    action: 'a in [-1, 1]',
    reward: 'goal·a at step 0, else 0',
    termination: 'after 2 steps',
  },
  sampleTasks(n: number, rng: Rng): BanditTask[] {
    return Array.from({ length: n }, () => ({ goal: rng.uniform() < 0.5 ? -1 : 1 }));
  },
  parseTask(value: unknown): BanditTask {
    const g = (value as { goal?: unknown } | null)?.goal;
    if (g !== 1 && g !== -1) throw new Error(`task.goal must be 1 or -1, got ${JSON.stringify(g)}`);
    return { goal: g };
  },
  make(task: BanditTask): Env<BanditTask> {
    return new MemoryBanditEnv(task);
  },
};
