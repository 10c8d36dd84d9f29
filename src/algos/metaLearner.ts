// The one interface every meta-learner implements (MAML, RL², later Reptile, Meta-SGD and
// the baselines). The trainer, the evaluation protocol and the adaptation viewer speak only
// this, so they treat all learners alike (garage's meta_rl_algorithm is the model).
import type { JsonObject } from '../shared/json';
import type { RngState } from '../core/rng';

/** Namespaced scalar metrics of one meta-iteration, e.g. 'returns/pre', 'returns/post_1', 'losses/kl', 'time/sampling'. */
export type Metrics = Record<string, number>;

/** One episode of an adaptation, as the viewer replays it. */
export interface EpisodeRecord {
  /** 0 = before adaptation; MAML: after gradient step k; RL²: episode k+1 of the trial. */
  stage: number;
  /** Index of the episode within its stage. */
  index: number;
  /** The learner's own name for the stage, e.g. 'exploration' (default: the viewer's by stage unit). */
  label?: string;
  return: number;
  length: number;
  /**
   * Per-step observations, actions and rewards (length × size, row-major). Actions are in the
   * env's units, as the learner sent them (before the env clips them to its bounds).
   */
  observations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  /** Scene frames, one per state (length + 1 of them, the reset state first), when recording was asked for. */
  frames?: Float32Array[];
}

export interface AdaptBudget {
  /** MAML: gradient steps; RL²: episodes in the trial beyond the first. Stages are 0..steps. */
  steps: number;
  /** Episodes sampled per stage (MAML's inner batch; RL² runs this many trials in parallel). */
  episodesPerStage: number;
  seed: number;
  /** Record scene frames for the viewer (costs memory; off for evaluation). */
  recordFrames?: boolean;
  /**
   * Gradient-step learners (MAML and its baselines): the first step's size, later steps a
   * quarter of it. Default: the learner's own. Learners that adapt without gradients ignore it.
   */
  stepSize?: number;
  /** Gradient-step learners: steps after the first take this fraction of the first's size (default: the learner's own rule). */
  laterStepRatio?: number;
}

export interface AdaptResult {
  /** Mean return at each stage: index 0 before adaptation, then after each step / episode. */
  returns: number[];
  episodes: EpisodeRecord[];
}

/** A named tensor in a checkpoint. */
export interface SavedTensor {
  shape: number[];
  data: Float32Array;
}

export interface Checkpoint {
  algo: string;
  iteration: number;
  /** Model parameters by name. */
  params: Record<string, SavedTensor>;
  /** Optimiser tensors (e.g. Adam moments) by name. */
  optimizerTensors: Record<string, SavedTensor>;
  /** Optimiser scalars, step counts and anything else JSON. */
  optimizerState: JsonObject;
  rng: RngState;
}

export interface MetaLearner<T extends JsonObject = JsonObject> {
  readonly algo: string;
  /** One meta-iteration on these training tasks. */
  metaTrainStep(tasks: T[]): Promise<Metrics>;
  /** Adapt the current meta-parameters to `task` (never changes them) and report every stage. */
  adapt(
    task: T,
    budget: AdaptBudget,
    onEpisode?: (ep: EpisodeRecord) => void,
  ): Promise<AdaptResult>;
  saveState(): Promise<Checkpoint>;
  loadState(c: Checkpoint): Promise<void>;
  /** Release tensors and workers. */
  dispose(): Promise<void>;
  /**
   * Optional: the trainer sets this before `metaTrainStep` to receive progress within the
   * meta-iteration (phase e.g. 'sampling' | 'inner' | 'outer', fraction 0..1 of the
   * iteration). Learners call it when they can; it must not change any result.
   */
  onProgress?: ((phase: string, fraction: number) => void) | null;
}
