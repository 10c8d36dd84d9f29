// The adaptation viewer's plain logic (no Vue, no three.js, unit-tested in Node): turning an
// adapt reply into replayable stages, the playback clock, and editing a task from sliders
// or a click on the floor, with in/out-of-distribution marking.
import type { AdaptReply, EpisodeJson } from '../../../src/shared/protocol';
import type { JsonObject, JsonValue } from '../../../src/shared/json';
import { POSE_SIZE, type SceneDescription } from '../../../src/shared/scene';
import type { TaskParam } from '../../../src/core/env';

/** A task parameter as the trainer's family list gives it. */
export type ParamInfo = TaskParam;

/**
 * Distinct hues per stage: grey before adaptation, then warm to cool as adaptation proceeds.
 * No red: that is the goal's colour (GOAL_COLOR), which no stage may be mistaken for.
 */
const STAGE_COLORS = [
  '#9ca3af',
  '#f59e0b',
  '#10b981',
  '#3b82f6',
  '#8b5cf6',
  '#ec4899',
  '#0ea5e9',
  '#14b8a6',
  '#eab308',
  '#6366f1',
];

export function stageColor(stage: number): string {
  return STAGE_COLORS[stage % STAGE_COLORS.length];
}

export function stageLabel(unit: 'step' | 'episode', stage: number): string {
  if (unit === 'episode') return `Episode ${stage + 1}`;
  return stage === 0 ? 'Before adaptation' : `After step ${stage}`;
}

/** Short axis label for a stage (chart ticks). */
export function stageTick(unit: 'step' | 'episode', stage: number): string {
  return unit === 'episode' ? `ep ${stage + 1}` : stage === 0 ? 'pre' : `step ${stage}`;
}

export interface StageReplay {
  stage: number;
  label: string;
  color: string;
  /** Mean return of the stage over all its episodes. */
  meanReturn: number;
  /** Return of the replayed episode (for the mean path: the mean over the stage's episodes). */
  episodeReturn: number;
  frames: Float32Array[];
  /** Reward of each step of the replayed episode (mean path: mean over episodes at each step). */
  rewards: number[];
}

/**
 * Which episode of each stage to replay: one by index, the stage's typical one (its return the
 * median of the recorded episodes' returns), or the mean path of all recorded ones.
 */
export type EpisodePick = number | 'median' | 'mean';

/**
 * The episode whose return is the median of the list's (the lower of the middle two of an even
 * count; equal returns taken in index order), so the replay shows what the stage usually does,
 * not an outlier of a noisy policy.
 */
export function medianEpisode<T extends { index: number; return: number }>(eps: readonly T[]): T {
  const sorted = [...eps].sort((a, b) => a.return - b.return || a.index - b.index);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Element-wise mean of episodes' frames; a shorter (terminated) episode holds its last frame. */
export function meanFrames(episodes: readonly (readonly (readonly number[])[])[]): Float32Array[] {
  const n = Math.max(...episodes.map((e) => e.length));
  const out: Float32Array[] = [];
  for (let t = 0; t < n; t++) {
    const acc = new Float32Array(episodes[0][0].length);
    for (const e of episodes) {
      const f = e[Math.min(t, e.length - 1)];
      for (let i = 0; i < acc.length; i++) acc[i] += f[i];
    }
    for (let i = 0; i < acc.length; i++) acc[i] /= episodes.length;
    out.push(acc);
  }
  return out;
}

/** Mean over episodes of the reward at each step (over the episodes still running at that step). */
function meanRewards(episodes: readonly EpisodeJson[]): number[] {
  const n = Math.max(...episodes.map((e) => e.rewards.length));
  return Array.from({ length: n }, (_, t) => {
    const live = episodes.filter((e) => t < e.rewards.length);
    return live.reduce((a, e) => a + e.rewards[t], 0) / live.length;
  });
}

/**
 * The trial of a learner adapting across episodes (RL²: episode k of every stage is trial k's)
 * whose return summed over its stages is the median: the typical trial, replayed whole, so its
 * later episodes show what it carried over from its first.
 */
function medianTrial(reply: Pick<AdaptReply, 'episodes'>): number {
  const indices = pickableEpisodes(reply);
  const totals = indices.map((index) => ({
    index,
    return: reply.episodes.reduce((a, e) => (e.index === index && e.frames ? a + e.return : a), 0),
  }));
  return totals.length ? medianEpisode(totals).index : 0;
}

/**
 * One replayable episode per stage (by default the first recorded with frames), in stage order.
 * 'median' takes each stage's typical episode for gradient-step learners (a stage's episodes
 * are independent) and the typical trial for learners whose stages are a trial's episodes.
 */
export function stagesOf(
  reply: Pick<AdaptReply, 'episodes' | 'returns' | 'stageUnit'>,
  pick: EpisodePick = 0,
): StageReplay[] {
  const byStage = new Map<number, EpisodeJson[]>();
  for (const ep of reply.episodes) {
    if (!ep.frames || ep.frames.length === 0) continue;
    const list = byStage.get(ep.stage) ?? [];
    list.push(ep);
    byStage.set(ep.stage, list);
  }
  const chosen = pick === 'median' && reply.stageUnit === 'episode' ? medianTrial(reply) : pick;
  return [...byStage.keys()]
    .sort((a, b) => a - b)
    .map((stage) => {
      const eps = byStage.get(stage)!.sort((a, b) => a.index - b.index);
      const base = {
        stage,
        label: eps[0].label ?? stageLabel(reply.stageUnit, stage),
        color: stageColor(stage),
        meanReturn: reply.returns[stage] ?? eps[0].return,
      };
      if (chosen === 'mean') {
        return {
          ...base,
          episodeReturn: eps.reduce((a, e) => a + e.return, 0) / eps.length,
          frames: meanFrames(eps.map((e) => e.frames!)),
          rewards: meanRewards(eps),
        };
      }
      const ep =
        chosen === 'median' ? medianEpisode(eps) : (eps.find((e) => e.index === chosen) ?? eps[0]);
      return {
        ...base,
        episodeReturn: ep.return,
        frames: ep.frames!.map((f) => Float32Array.from(f)),
        rewards: ep.rewards,
      };
    });
}

/** Episodes recorded with frames in every stage: the choices of the episode picker. */
export function pickableEpisodes(reply: Pick<AdaptReply, 'episodes'> | null): number[] {
  if (!reply) return [];
  const per = new Map<number, Set<number>>();
  for (const e of reply.episodes)
    if (e.frames?.length) per.set(e.stage, (per.get(e.stage) ?? new Set()).add(e.index));
  const sets = [...per.values()];
  if (!sets.length) return [];
  return [...sets[0]].filter((i) => sets.every((s) => s.has(i))).sort((a, b) => a - b);
}

/**
 * A runner's mean forward speed over a replayed episode (m/s): how far its followed body moved
 * along x from the first frame to the last, over the simulated time between them. null for
 * scenes without a followed body or a frame duration, and for episodes of fewer than 2 frames.
 */
export function forwardSpeed(
  scene: Pick<SceneDescription, 'bodies' | 'follow' | 'stepSeconds'> | null,
  frames: readonly ArrayLike<number>[],
): number | null {
  if (!scene?.follow || !scene.stepSeconds || frames.length < 2) return null;
  const body = scene.bodies.findIndex((b) => b.name === scene.follow);
  if (body < 0) return null;
  const o = body * POSE_SIZE;
  const dx = frames[frames.length - 1][o] - frames[0][o];
  return dx / ((frames.length - 1) * scene.stepSeconds);
}

/** Frames in the longest stage: the length of the replay. */
export function replayFrames(stages: readonly { frames: readonly unknown[] }[]): number {
  return stages.reduce((m, s) => Math.max(m, s.frames.length), 0);
}

/**
 * The playback clock shared by every pane of the viewer (the split view stays in sync
 * because both panes read the same clock). Time is in frames; the env's 'real' rate is
 * `fps` frames per second at speed 1.
 */
export class PlaybackClock {
  position = 0;
  playing = false;
  speed = 1;
  loop = true;

  constructor(
    public length = 0,
    readonly fps = 30,
  ) {}

  /** Advance by `dtMs` of wall time; returns the integer frame to show. */
  tick(dtMs: number): number {
    if (this.playing && this.length > 0) {
      this.position += (dtMs / 1000) * this.fps * this.speed;
      if (this.position > this.length - 1) {
        if (this.loop) this.position = 0;
        else {
          this.position = this.length - 1;
          this.playing = false;
        }
      }
    }
    return this.frame;
  }

  get frame(): number {
    return Math.max(0, Math.min(Math.floor(this.position), Math.max(0, this.length - 1)));
  }

  seek(frame: number): void {
    this.position = Math.max(0, Math.min(frame, Math.max(0, this.length - 1)));
  }

  /** Wall-clock seconds one pass of the replay takes at the current speed. */
  get durationSec(): number {
    return this.length / (this.fps * this.speed);
  }
}

/** Read a number at a dotted path (`goal.0`, `poleMass`) of a task. */
export function getPath(task: JsonObject, path: string): number | undefined {
  let cur: JsonValue | undefined = task;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(key)] : (cur as JsonObject)[key];
  }
  return typeof cur === 'number' ? cur : undefined;
}

/** A copy of `task` with the number at `path` set (arrays and objects along the way are copied, never shared). */
export function setPath(task: JsonObject, path: string, value: number): JsonObject {
  const keys = path.split('.');
  // A JSON round trip, not structuredClone: the task may be a Vue reactive proxy, which cannot be cloned.
  const copy = JSON.parse(JSON.stringify(task)) as JsonObject;
  let cur: JsonValue = copy;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i];
    const nextIsIndex = /^\d+$/.test(keys[i + 1]);
    const container = cur as Record<string, JsonValue> | JsonValue[];
    const key = Array.isArray(container) ? Number(k) : k;
    let next = (container as Record<string | number, JsonValue>)[key];
    if (next === null || typeof next !== 'object') {
      next = nextIsIndex ? [] : {};
      (container as Record<string | number, JsonValue>)[key] = next;
    }
    cur = next;
  }
  const last = keys[keys.length - 1];
  if (Array.isArray(cur)) cur[Number(last)] = value;
  else (cur as JsonObject)[last] = value;
  return copy;
}

export type ParamStatus = 'in' | 'out' | 'invalid';

/** 'in' the training range [low, high], 'out' of distribution but allowed [min, max], or 'invalid'. */
export function paramStatus(p: ParamInfo, value: number | undefined): ParamStatus {
  if (value === undefined || !Number.isFinite(value) || value < p.min || value > p.max)
    return 'invalid';
  return value >= p.low && value <= p.high ? 'in' : 'out';
}

export function taskStatus(params: readonly ParamInfo[], task: JsonObject): ParamStatus {
  let worst: ParamStatus = 'in';
  for (const p of params) {
    const s = paramStatus(p, getPath(task, p.path));
    if (s === 'invalid') return 'invalid';
    if (s === 'out') worst = 'out';
  }
  return worst;
}

/**
 * The task after a click on the floor at `point` (family coordinates): the two goal
 * parameters named by the scene's `floor.goalParams` take the click's in-plane coordinates
 * (x, y for z-up families, x, z for y-up ones), clamped to what the env accepts.
 */
export function taskFromFloorClick(
  scene: SceneDescription,
  params: readonly ParamInfo[],
  task: JsonObject,
  point: readonly [number, number, number],
): JsonObject {
  const gp = scene.floor?.goalParams;
  if (!gp) throw new Error(`family "${scene.family}" has no goal to place on the floor`);
  const inPlane = scene.up === 'z' ? [point[0], point[1]] : [point[0], point[2]];
  let out = task;
  gp.forEach((path, i) => {
    const p = params.find((q) => q.path === path);
    const v = p ? Math.min(p.max, Math.max(p.min, inPlane[i])) : inPlane[i];
    out = setPath(out, path, Math.round(v * 1000) / 1000);
  });
  return out;
}

/**
 * Move the goal marker of a frame to the task's goal, so a goal placed by hand shows before
 * any rollout exists. Convention (src/shared/scene.ts): in a family with floor.goalParams
 * the first marker is the goal.
 */
export function placeGoalMarker(
  scene: SceneDescription,
  frame: Float32Array,
  task: JsonObject,
): Float32Array {
  const gp = scene.floor?.goalParams;
  if (!gp || scene.markers.length === 0) return frame;
  const gx = getPath(task, gp[0]);
  const gy = getPath(task, gp[1]);
  if (gx === undefined || gy === undefined) return frame;
  const out = Float32Array.from(frame);
  const o = scene.bodies.length * 7;
  out[o] = gx;
  if (scene.up === 'z') out[o + 1] = gy;
  else out[o + 2] = gy;
  return out;
}

/** What "Export JSON" writes: everything needed to look at the adaptation again. */
export interface AdaptationExport {
  kind: 'metarl-adaptation';
  version: 1;
  exportedAt: string;
  task: JsonObject;
  runs: AdaptReply[];
}

export function exportRecord(
  task: JsonObject,
  replies: AdaptReply[],
  now = new Date(),
): AdaptationExport {
  return {
    kind: 'metarl-adaptation',
    version: 1,
    exportedAt: now.toISOString(),
    task,
    runs: replies,
  };
}
