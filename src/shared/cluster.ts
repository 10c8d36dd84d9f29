// The sampler choice of a run (local threads or rollout workers behind a Redis URL) and
// what the dashboard shows of those workers. Schema code only: the renderer uses it too.
import { z } from 'zod';

/** A run's sampler: `local` (worker threads in the trainer) or a redis:// / rediss:// URL. */
export const SamplerChoiceSchema = z.string().superRefine((v, ctx) => {
  if (v === 'local') return;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: 'must be "local" or a Redis URL such as redis://host:6379',
    });
    return;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    ctx.addIssue({
      code: 'custom',
      message: 'must be "local" or a URL starting with redis:// or rediss://',
    });
  } else if (!u.hostname) {
    ctx.addIssue({ code: 'custom', message: 'must name a host, e.g. redis://10.0.0.5:6379' });
  } else if (u.password) {
    ctx.addIssue({
      code: 'custom',
      message:
        "must not hold a password (run configs are stored): set METARL_REDIS_PASSWORD in the trainer's environment",
    });
  }
});

export function isRemoteSampler(choice: string | undefined): choice is string {
  return choice !== undefined && choice !== 'local';
}

export const ClusterWorkerInfoSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number(),
  version: z.string(),
  concurrency: z.number(),
  /** Jobs completed since the worker started. */
  jobs: z.number(),
  steps: z.number(),
  stepsPerSec: z.number(),
  failures: z.number(),
  lastError: z.string().nullable(),
  startedAt: z.number(),
  seenAt: z.number(),
});
export type ClusterWorkerInfo = z.infer<typeof ClusterWorkerInfoSchema>;

export const ClusterStatusSchema = z.object({
  /** The Redis URL, without any password. */
  url: z.string(),
  connected: z.boolean(),
  workers: z.array(ClusterWorkerInfoSchema),
});
export type ClusterStatus = z.infer<typeof ClusterStatusSchema>;
