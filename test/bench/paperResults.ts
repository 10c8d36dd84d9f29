// The MAML paper's published figures on the MuJoCo half-cheetahs (Finn et al. 2017, its result
// files in cbfinn/maml_rl): MAML's mean return after 0–3 gradient steps on held-out tasks and
// its oracle's. bench:meta-quality prints them beside a run's own and the one-step gain of the
// run measured against the paper's oracle as well as against this project's.
export interface PaperResult {
  /** MAML after 0, 1, 2 and 3 steps. */
  returns: number[];
  oracle: number;
}

export const PAPER_MAML: Readonly<Record<string, PaperResult>> = {
  'mujoco-cheetah-vel': { returns: [-129.5, -78.6, -66.6, -60.8], oracle: -54.5 },
  'mujoco-cheetah-dir': { returns: [-50.7, 293.2, 313.5, 315.7], oracle: 442.7 },
};

/** Gain ratios g_k = (R_k − R_0) / (R_oracle − R_0), k ≥ 1. */
export function gainRatios(returns: number[], oracle: number): number[] {
  return returns.slice(1).map((r) => (r - returns[0]) / (oracle - returns[0]));
}
