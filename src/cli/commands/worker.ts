// `metarl worker`: a headless rollout worker for trainers that sample through Redis
// (`metarl train --sampler redis://…`). Runs until Ctrl-C / SIGTERM (finishing its running
// jobs), or exits with an error if it is refused for running another app version.
import type { Command } from 'commander';
import { parseRedisUrl } from '../../samplers/redisUrl';

interface WorkerFlags {
  redis: string;
  concurrency?: string;
  lockDuration?: string;
  stalledInterval?: string;
}

function positiveInt(flag: string, v: string | undefined, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new Error(`${flag} must be an integer in [1, ${max}], got "${v}"`);
  return n;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'roll out episodes for trainers that use --sampler redis://… (headless; one per machine)',
    )
    .requiredOption(
      '--redis <url>',
      'Redis URL: redis://host:port, rediss://user:password@host:port (TLS); password also from METARL_REDIS_PASSWORD',
    )
    .option('--concurrency <n>', 'jobs at once, one thread each (default: cores)')
    .option(
      '--lock-duration <ms>',
      'a job this worker stops renewing (it died) goes to another worker after this long (default 30000)',
    )
    .option('--stalled-interval <ms>', 'how often to look for jobs of dead workers (default 15000)')
    .action(async (f: WorkerFlags) => {
      const target = parseRedisUrl(f.redis);
      // Loaded here: other commands never need the queue client.
      const { RolloutWorker } = await import('../../samplers/redisWorker');
      const worker = new RolloutWorker({
        url: f.redis,
        concurrency: positiveInt('--concurrency', f.concurrency, 256),
        lockDurationMs: positiveInt('--lock-duration', f.lockDuration, 3_600_000),
        stalledIntervalMs: positiveInt('--stalled-interval', f.stalledInterval, 3_600_000),
        log: (line) => process.stderr.write(`metarl worker: ${line}\n`),
      });
      await worker.ready();
      process.stdout.write(
        `metarl worker ${worker.id}: ${worker.concurrency} thread(s), taking jobs from ${target.display}\n`,
      );
      const stopped = new Promise<string | null>((resolve) => {
        const stop = () => resolve(null);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      const refused = await Promise.race([stopped, worker.refused]);
      await worker.close();
      const s = worker.stats();
      process.stdout.write(
        `metarl worker: stopped after ${s.jobs} job(s), ${s.steps} env steps, ${s.failures} failure(s)\n`,
      );
      if (refused) throw new Error(refused);
    });
}
