// Named evaluation protocols for `metarl eval --protocol` and bench:meta-quality. A protocol
// fixes how much each adaptation stage samples and how big the steps after the first are;
// the tasks, seeds and scoring are the same for all (src/algos/evaluate.ts).
//   default  20 episodes per stage; steps after the first take the learner's own later size
//            (a quarter of the first for MAML and its baselines).
//   paper    the MAML paper's evaluation (Finn et al. 2017, appendix A.2): 40 episodes per
//            stage (its reference test scripts sample 4000 time steps per step: 40 episodes
//            of point-nav's 100 steps, 20 of the half-cheetah's 200), later steps half the
//            first step's size.

export interface EvalProtocol {
  name: string;
  description: string;
  /** Episodes per stage (MAML's fine-tuning batch; RL²'s trials per task). */
  episodesPerStage: number;
  /** The fewest episodes per stage the protocol allows (--episodes may ask for more). */
  minEpisodesPerStage: number;
  /** Steps after the first take this fraction of the first's size; undefined = the learner's own rule. */
  laterStepRatio?: number;
}

export const EVAL_PROTOCOLS: readonly EvalProtocol[] = [
  {
    name: 'default',
    description:
      "20 episodes per stage; later steps at the learner's own size (a quarter of the first for MAML)",
    episodesPerStage: 20,
    minEpisodesPerStage: 1,
  },
  {
    name: 'paper',
    description:
      "the MAML paper's appendix A.2: 40 episodes per stage, later steps half the first step's size",
    episodesPerStage: 40,
    minEpisodesPerStage: 40,
    laterStepRatio: 0.5,
  },
];

export function getEvalProtocol(name: string): EvalProtocol {
  const p = EVAL_PROTOCOLS.find((x) => x.name === name);
  if (!p)
    throw new Error(
      `Unknown evaluation protocol "${name}". Known: ${EVAL_PROTOCOLS.map((x) => x.name).join(', ')}`,
    );
  return p;
}
