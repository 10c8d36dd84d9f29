// Evaluations kept with their run: every `mrl:run.evaluate` result is appended to the run's
// evaluations.json (newest last, the last MAX_KEPT kept, written atomically), and `mrl:run.open`
// returns them, so a result survives a reload instead of vanishing with the screen. Example
// runs ship read-only in the app: theirs are kept under the user's runs folder instead.
import fs from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import {
  SavedEvaluationSchema,
  type EvaluateReply,
  type SavedEvaluation,
} from '../shared/protocol';

const FILE = 'evaluations.json';
export const MAX_KEPT = 20;

/** Where a run's evaluations live: its own folder, or for an example run a folder under the user's runs. */
export function evaluationsDir(
  runDir: string,
  example: { runsRoot: string; runId: string } | null,
): string {
  return example ? path.join(example.runsRoot, '.examples', example.runId) : runDir;
}

/** The saved evaluations, oldest first; a missing or damaged file reads as none (it is a cache of results, not the run). */
export async function loadEvaluations(dir: string): Promise<SavedEvaluation[]> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, FILE), 'utf8');
  } catch {
    return [];
  }
  try {
    const parsed = z.array(SavedEvaluationSchema).safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

export async function saveEvaluation(
  dir: string,
  reply: EvaluateReply,
  how: { episodesPerStage: number; seed: number },
  now = new Date(),
): Promise<SavedEvaluation> {
  const saved: SavedEvaluation = { ...reply, savedAt: now.toISOString(), ...how };
  const kept = [...(await loadEvaluations(dir)), saved].slice(-MAX_KEPT);
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, FILE), JSON.stringify(kept, null, 1));
  return saved;
}
