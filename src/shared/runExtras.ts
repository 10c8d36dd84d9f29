// Records kept beside a run that are not training output: its saved evaluations. Apart from
// protocol.ts so the run-directory shapes stay readable there.
import type { EvaluateReply } from './protocol';

/** An `mrl:run.evaluate` result as kept with its run (evaluations.json), with when and how it was made. */
export interface SavedEvaluation extends EvaluateReply {
  savedAt: string;
  episodesPerStage: number;
  seed: number;
}
