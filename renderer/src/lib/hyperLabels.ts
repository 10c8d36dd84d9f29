// Plain-language names of the learners' hyper-parameters for forms and settings tables. The
// schema key (and the literature's abbreviation) stays available in a tooltip, so people who
// know "GAE λ" or "max KL" still find them. Fields of the outer optimiser that is not chosen
// (PPO's when TRPO is, and the reverse) are hidden: they would do nothing.
import type { JsonValue } from '../../../src/shared/json';

export interface HyperLabel {
  label: string;
  /** The abbreviation or symbol in the literature, shown in the tooltip with the key. */
  abbr?: string;
  /** Only used by this outer optimiser (MAML's `outer`). */
  only?: 'trpo' | 'ppo';
}

const LABELS: Record<string, HyperLabel> = {
  hidden: { label: 'Hidden layer sizes' },
  activation: { label: 'Activation function' },
  normalizeActions: { label: 'Scale actions to [−1, 1]' },
  initStd: { label: 'Initial action noise', abbr: 'σ₀' },
  outputInitScale: { label: 'Initial output-layer scale', abbr: 'output init scale' },
  metaBatchSize: { label: 'Tasks per meta-iteration', abbr: 'meta-batch size' },
  episodesPerTask: { label: 'Episodes per task', abbr: 'K' },
  innerSteps: { label: 'Adaptation steps in training', abbr: 'inner steps' },
  innerLr: { label: 'Adaptation step size', abbr: 'α, inner learning rate' },
  adaptLr: { label: 'First step size when adapting', abbr: 'α at evaluation' },
  adaptLrLater: { label: 'Later step sizes when adapting' },
  lossWeighting: { label: 'Average losses per' },
  normalizeAdvantages: { label: 'Normalise advantages per task', abbr: 'off: centred only' },
  innerCurvature: { label: 'Inner-loss curvature', abbr: 'vpg: the paper; lvc: ProMP' },
  preAdaptWeight: { label: 'Weight of the return before adaptation', abbr: 'w in L_out + w L_pre' },
  firstOrder: { label: 'First-order approximation', abbr: 'FOMAML' },
  latentSize: { label: 'Per-episode latent size', abbr: 'MAESN z; 0: none' },
  latentInnerLr: { label: 'Latent adaptation step size', abbr: 'α of μ_z and σ_z' },
  derivatives: { label: 'Derivatives' },
  updateThreads: { label: 'Update threads' },
  gamma: { label: 'Discount factor', abbr: 'γ' },
  gaeLambda: { label: 'Advantage smoothing', abbr: 'GAE λ' },
  outer: { label: 'Meta-optimiser', abbr: 'TRPO or PPO' },
  maxKl: { label: 'Trust-region size', abbr: 'max KL δ', only: 'trpo' },
  cgIters: { label: 'Conjugate-gradient iterations', abbr: 'CG iterations', only: 'trpo' },
  cgDamping: { label: 'Curvature damping', abbr: 'CG damping', only: 'trpo' },
  cgSubsample: { label: 'Share of episodes for curvature', abbr: 'CG subsample', only: 'trpo' },
  lsMaxSteps: { label: 'Line-search tries', only: 'trpo' },
  lsBacktrack: { label: 'Line-search shrink factor', only: 'trpo' },
  ppoClip: { label: 'Clip range', abbr: 'PPO ε', only: 'ppo' },
  ppoEpochs: { label: 'Epochs per batch', abbr: 'PPO epochs', only: 'ppo' },
  ppoLr: { label: 'Learning rate', abbr: 'PPO Adam lr', only: 'ppo' },
  episodesPerTrial: { label: 'Episodes per trial', abbr: 'K' },
  trialsPerTask: { label: 'Trials per task' },
  hiddenSize: { label: 'Memory size (GRU units)', abbr: 'GRU hidden size' },
  initLogStd: { label: 'Initial action noise (log)', abbr: 'log σ₀' },
  rewardInputScale: { label: 'Reward input scale' },
  inputClip: { label: 'Input clip (0 = off)' },
  learningRate: { label: 'Learning rate', abbr: 'Adam lr' },
  epochs: { label: 'Epochs per batch', abbr: 'PPO epochs' },
  minibatches: { label: 'Minibatches per epoch' },
  clip: { label: 'Clip range', abbr: 'PPO ε' },
  valueCoef: { label: 'Value-loss weight', abbr: 'c₁' },
  entropyCoef: { label: 'Exploration bonus', abbr: 'entropy coefficient c₂' },
  maxGradNorm: { label: 'Gradient norm limit', abbr: 'max grad norm' },
  targetKl: { label: 'Stop epochs above KL', abbr: 'target KL' },
  prototypes: { label: 'Known tasks', abbr: 'K prototypes' },
  candidates: { label: 'Candidate tasks the known ones are picked from', abbr: 'candidate pool' },
  queryTasks: { label: 'New tasks per iteration for the live curves', abbr: 'query tasks' },
  sweepPeriod: { label: 'Exploration sweep period (steps)' },
  matchBy: { label: 'Find the nearest known task by', abbr: 'sweep features or known policies' },
  lrTargetKl: { label: 'Learning rate follows KL', abbr: 'KL-adaptive learning rate target' },
  outerStepSize: { label: 'Meta step size', abbr: 'Reptile ε' },
  annealIterations: { label: 'Anneal meta step size over iterations', abbr: 'ε → 0 linearly' },
  stepSizeLr: { label: 'Step-size learning rate', abbr: 'Meta-SGD α Adam lr' },
};

/** The label of a key, or the key split into words when it is not known. */
export function hyperLabel(key: string, fallback: string): string {
  return LABELS[key]?.label ?? fallback;
}

/** Tooltip: the key as in configs and `--hp`, the abbreviation, and the schema's description. */
export function hyperTooltip(key: string, description?: string): string {
  const abbr = LABELS[key]?.abbr;
  return [`${key}${abbr ? ` (${abbr})` : ''}`, description].filter(Boolean).join(': ');
}

/** False for a field of the outer optimiser that is not chosen. */
export function hyperApplies(key: string, hyper: Record<string, JsonValue>): boolean {
  const only = LABELS[key]?.only;
  if (!only) return true;
  return (hyper.outer ?? 'trpo') === only;
}
