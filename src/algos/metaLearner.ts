// The one interface every meta-learner implements (MAML, RL², Reptile, Meta-SGD and
// the baselines). The trainer, the evaluation protocol and the adaptation viewer speak only
// this, so they treat all learners alike (garage's meta_rl_algorithm is the model).
import type { JsonObject } from '../shared/json';
import type { RngState } from '../core/rng';
import type { EpisodeRecord } from '../samplers/sampler';

// Defined with the samplers, which produce it (they sit below the learners).
export type { EpisodeRecord };

/** Namespaced scalar metrics of one meta-iteration, e.g. 'returns/pre', 'returns/post_1', 'losses/kl', 'time/sampling'. */
export type Metrics = Record<string, number>;

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
