// point-nav: the 2-D navigation task of the MAML paper (Finn et al. 2017, §5.3), defined
// exactly as in its reference code so results compare: a point starts at (0, 0); the action
// is a velocity clipped to [-0.1, 0.1]²; reward = −‖pos − goal‖₂ after the move; the episode
// terminates when |dx| < 0.01 and |dy| < 0.01; horizon 100; goals ~ U[−0.5, 0.5]².
// A point mass with a velocity command has no dynamics worth a physics engine, so this
// family is plain arithmetic (which is also what makes ≥ 2 M steps/s possible).
import type { Env, ResetResult, StepResult, TaskFamily, TaskParam } from '../../src/core/env';
import { Box } from '../../src/core/spaces';
import type { Rng } from '../../src/core/rng';
import { readNumber, readObject, sampleSplit } from '../../src/core/tasks';
import {
  GOAL_COLOR,
  type SceneDescription,
  writePlanarPose,
  POSE_SIZE,
} from '../../src/shared/scene';

export type PointNavTask = { goal: [number, number] };

const HORIZON = 100;
const GOAL_RANGE = 0.5;
/** Goals a user may place in the viewer (out-of-distribution beyond ±0.5). */
const GOAL_LIMIT = 2;
const MAX_SPEED = 0.1;
const DONE_TOL = 0.01;

const SCENE: SceneDescription = {
  family: 'point-nav',
  up: 'z',
  bodies: [
    // Exactly the training range of goals (±GOAL_RANGE): goals placed off it are out of distribution.
    {
      name: 'floor',
      geom: { type: 'plane', size: [2 * GOAL_RANGE, 2 * GOAL_RANGE] },
      color: '#e9edf2',
      static: true,
    },
    { name: 'agent', geom: { type: 'sphere', radius: 0.025 }, color: '#3b82f6' },
  ],
  markers: [
    { name: 'goal', geom: { type: 'cylinder', radius: 0.03, length: 0.004 }, color: GOAL_COLOR },
  ],
  bounds: { min: [-1, -1, 0], max: [1, 1, 0.1] },
  trail: 'agent',
  floor: { height: 0, goalParams: ['goal.0', 'goal.1'] },
};

export class PointNavEnv implements Env<PointNavTask> {
  readonly observationSpace = new Box(-Infinity, Infinity, 2);
  readonly actionSpace = new Box(-MAX_SPEED, MAX_SPEED, 2);
  readonly horizon = HORIZON;
  task: PointNavTask;
  private x = 0;
  private y = 0;
  private t = 0;
  private readonly obs = new Float32Array(2);

  constructor(task: PointNavTask) {
    this.task = { goal: [task.goal[0], task.goal[1]] };
  }

  setTask(task: PointNavTask): void {
    this.task = { goal: [task.goal[0], task.goal[1]] };
  }

  // The start state is fixed, so the seed changes nothing; it is accepted for the common API.
  reset(_opts?: { seed?: number }): ResetResult {
    this.x = 0;
    this.y = 0;
    this.t = 0;
    this.obs[0] = 0;
    this.obs[1] = 0;
    return { obs: this.obs, info: {} };
  }

  step(action: Float32Array): StepResult {
    let ax = action[0];
    let ay = action[1];
    // NaN actions are clipped to 0 rather than poisoning the state.
    ax = ax > MAX_SPEED ? MAX_SPEED : ax < -MAX_SPEED ? -MAX_SPEED : ax === ax ? ax : 0;
    ay = ay > MAX_SPEED ? MAX_SPEED : ay < -MAX_SPEED ? -MAX_SPEED : ay === ay ? ay : 0;
    // Float32 state, as the reference implementation keeps it.
    this.x = Math.fround(this.x + ax);
    this.y = Math.fround(this.y + ay);
    const dx = this.x - this.task.goal[0];
    const dy = this.y - this.task.goal[1];
    const reward = -Math.sqrt(dx * dx + dy * dy);
    this.t++;
    const terminated = Math.abs(dx) < DONE_TOL && Math.abs(dy) < DONE_TOL;
    const truncated = !terminated && this.t >= HORIZON;
    this.obs[0] = this.x;
    this.obs[1] = this.y;
    return { obs: this.obs, reward, terminated, truncated, info: {} };
  }

  scene(): SceneDescription {
    return structuredClone(SCENE);
  }

  frame(out = new Float32Array(3 * POSE_SIZE)): Float32Array {
    writePlanarPose(out, 0, 0, 0, 0);
    writePlanarPose(out, 1, this.x, this.y, 0, 0.025);
    writePlanarPose(out, 2, this.task.goal[0], this.task.goal[1], Math.PI / 2, 0.002);
    return out;
  }
}

const PARAMS: TaskParam[] = [
  {
    name: 'goalX',
    label: 'Goal x',
    path: 'goal.0',
    low: -GOAL_RANGE,
    high: GOAL_RANGE,
    min: -GOAL_LIMIT,
    max: GOAL_LIMIT,
    unit: 'm',
    kind: 'goal',
  },
  {
    name: 'goalY',
    label: 'Goal y',
    path: 'goal.1',
    low: -GOAL_RANGE,
    high: GOAL_RANGE,
    min: -GOAL_LIMIT,
    max: GOAL_LIMIT,
    unit: 'm',
    kind: 'goal',
  },
];

export const pointNav: TaskFamily<PointNavTask> = {
  id: 'point-nav',
  title: '2-D point navigation',
  description:
    'A point mass steered by velocity commands to a goal it cannot see: the MAML paper’s 2-D navigation benchmark.',
  observationSize: 2,
  actionSize: 2,
  horizon: HORIZON,
  params: PARAMS,
  docs: {
    observation: 'position (x, y); the goal is not observed',
    action: 'velocity (dx, dy), clipped to [-0.1, 0.1]²',
    reward: '−‖position − goal‖₂ after the move',
    termination: '|dx| < 0.01 and |dy| < 0.01; truncated after 100 steps',
    tasks: 'goal ~ U[−0.5, 0.5]²; 20% of the task space (by a hash of the goal) is the test split',
    oracle: {
      value: -0.5,
      source:
        'oracle runs of seeds 1–6 (60 iterations) on 40 held-out test tasks, the benchmark’s figure',
    },
  },
  sampleTasks(n: number, rng: Rng, split: 'train' | 'test'): PointNavTask[] {
    return sampleSplit(
      n,
      rng,
      split,
      (r) => ({
        goal: [r.uniformRange(-GOAL_RANGE, GOAL_RANGE), r.uniformRange(-GOAL_RANGE, GOAL_RANGE)],
      }),
      (t) => t.goal,
    );
  },
  parseTask(value: unknown): PointNavTask {
    const o = readObject(value);
    const g = o.goal;
    if (!Array.isArray(g) || g.length !== 2)
      throw new Error(`task.goal must be [x, y], got ${JSON.stringify(g)}`);
    return {
      goal: [
        readNumber(g[0], 'goal.0', -GOAL_LIMIT, GOAL_LIMIT),
        readNumber(g[1], 'goal.1', -GOAL_LIMIT, GOAL_LIMIT),
      ],
    };
  },
  make(task: PointNavTask): PointNavEnv {
    return new PointNavEnv(this.parseTask(task));
  },
};
