// Worker-thread side of the MuJoCo determinism test: reports what make() says before the
// runtime is loaded on this thread, then rolls out the requested trajectories.
import { parentPort, workerData } from 'node:worker_threads';
import { getFamily } from '../../../envs/registry';
import { prepareFamily } from '../../../src/core/env';
import type { JsonObject } from '../../../src/shared/json';
import { trajectory } from './trajectory';

interface Job {
  id: string;
  task: JsonObject;
  seed: number;
  actionSeed: number;
  steps: number;
}
const { jobs } = workerData as { jobs: Job[] };
let before = 'no error';
try {
  getFamily(jobs[0].id).make(jobs[0].task, jobs[0].seed);
} catch (err) {
  before = (err as Error).message;
}
const traces: number[][] = [];
for (const j of jobs) {
  await prepareFamily(getFamily(j.id));
  traces.push(trajectory(j.id, j.task, j.seed, j.actionSeed, j.steps));
}
parentPort!.postMessage({ before, traces });
