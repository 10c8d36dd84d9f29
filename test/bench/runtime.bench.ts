// `npm run bench:runtime`: the training runtime's own figures, measured end to end through
// the web host exactly as the browser UI uses it (trainer child process → host → WebSocket):
//   - metrics-to-client latency: trainer emits `mrl:metrics.added` → WebSocket client receives;
//   - trainer RSS per meta-iteration over a long point-nav run (it must stay flat);
//   - checkpoint size and write time (from the run's events.log).
// Options: --algo maml|rl2|… (default: maml if registered, else rl2), --iterations N (200),
// --hp key=value (repeatable, the learner's hyper-parameters), --checkpoint-every N (10),
// --preview-every N (10), --out DIR (default: a temp dir, removed afterwards), --preload MODULE
// (modules the trainer imports first, e.g. test/training/hillClimber.ts for algo test-hill).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ALGOS } from '../../src/algos/registry';
import { forkTrainer } from '../../src/host/trainerHost';
import { startWebHost } from '../../src/host/webHost';
import { connectWebSocket } from '../../src/host/client';
import type { JsonObject, JsonValue } from '../../src/shared/json';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
function args(name: string): string[] {
  return process.argv.flatMap((a, i) => (a === `--${name}` ? [process.argv[i + 1]] : []));
}

async function rssMb(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const algo = arg('algo') ?? (ALGOS.some((a) => a.id === 'maml') ? 'maml' : 'rl2');
const iterations = Number(arg('iterations') ?? 200);
const hyper: JsonObject = {};
for (const kv of args('hp')) {
  const [k, v] = kv.split('=', 2);
  try {
    hyper[k] = JSON.parse(v) as JsonValue;
  } catch {
    hyper[k] = v;
  }
}
const outArg = arg('out');
const root = outArg
  ? path.resolve(outArg)
  : await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-bench-runtime-'));

const preload = args('preload').map((m) => path.resolve(m));
const web = await startWebHost({
  launcher: forkTrainer({ runsRoot: root, preload }),
  rendererDir: null,
  port: 0,
});
const client = connectWebSocket(`ws://127.0.0.1:${web.port}/ws?token=${web.token}`, web.origin);
const latencies: number[] = [];
const rss: { iteration: number; mb: number }[] = [];
let pid = 0;
const t0 = Date.now();
let backendUsed = '?';
const done = new Promise<string>((resolve) => {
  client.on('mrl:status.changed', (s) => {
    if (s.backend) backendUsed = s.backend;
    if (['finished', 'failed', 'crashed', 'stopped'].includes(s.state))
      resolve(`${s.state}${s.message ? `: ${s.message}` : ''}`);
  });
});
client.on('mrl:metrics.added', (m) => {
  const now = performance.timeOrigin + performance.now();
  if (m.emittedAt !== undefined) latencies.push(now - m.emittedAt);
  void rssMb(pid).then((mb) => {
    rss.push({ iteration: m.iteration, mb });
    if (m.iteration % 10 === 0 || m.iteration === 1) {
      process.stderr.write(
        `iteration ${m.iteration}/${iterations}  RSS ${mb.toFixed(1)} MB  ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
      );
    }
  });
});
await client.call('mrl:trainer.status', {});
pid = web.trainerHost.trainerPid!;
const { runId, config } = await client.call('mrl:run.start', {
  config: {
    family: 'point-nav',
    algo,
    seed: 1,
    iterations,
    checkpointEvery: Number(arg('checkpoint-every') ?? 10),
    previewEvery: Number(arg('preview-every') ?? 10),
    hyper,
  },
});
const end = await done;
await new Promise((r) => setTimeout(r, 200));
const log = await fs.readFile(path.join(root, runId, 'events.log'), 'utf8');
const cks = [...log.matchAll(/checkpoint (\d+) written \((\d+) bytes, ([\d.]+) ms\)/g)].map(
  (m) => ({ it: Number(m[1]), bytes: Number(m[2]), ms: Number(m[3]) }),
);
client.close();
await web.close();
if (!outArg) await fs.rm(root, { recursive: true, force: true });

rss.sort((a, b) => a.iteration - b.iteration);
const at = (it: number) => rss.find((r) => r.iteration >= it)?.mb;
const warm = rss.filter((r) => r.iteration >= Math.min(20, Math.floor(iterations / 5)));
// Least-squares slope of RSS over iterations after warm-up, in MB per 100 iterations.
const n = warm.length;
const mx = warm.reduce((a, r) => a + r.iteration, 0) / n;
const my = warm.reduce((a, r) => a + r.mb, 0) / n;
const slope =
  (100 * warm.reduce((a, r) => a + (r.iteration - mx) * (r.mb - my), 0)) /
  warm.reduce((a, r) => a + (r.iteration - mx) ** 2, 0);

console.log(
  `\nruntime bench: point-nav / ${algo}, seed 1, ${iterations} iterations, backend ${backendUsed} (asked: ${config.backend}), hyper ${JSON.stringify(hyper)}; run ${end}`,
);
console.log(
  `wall time: ${((Date.now() - t0) / 1000).toFixed(0)} s (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`,
);
console.log(
  `metrics → WebSocket client latency over ${latencies.length} events: median ${quantile(latencies, 0.5).toFixed(2)} ms, p95 ${quantile(latencies, 0.95).toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms`,
);
console.log(
  `trainer RSS (MB): ${[1, 10, 50, 100, 150, 200, iterations]
    .filter((it, i, a) => it <= iterations && a.indexOf(it) === i)
    .map((it) => `it ${it}: ${at(it)?.toFixed(1)}`)
    .join(
      ', ',
    )}; min ${Math.min(...warm.map((r) => r.mb)).toFixed(1)}, max ${Math.max(...warm.map((r) => r.mb)).toFixed(1)} after warm-up; trend ${slope.toFixed(2)} MB / 100 iterations`,
);
if (cks.length) {
  console.log(
    `checkpoints: ${cks.length}, size ${(cks[cks.length - 1].bytes / 1024).toFixed(1)} KiB (params + optimiser + rng + manifest), write time median ${quantile(
      cks.map((c) => c.ms),
      0.5,
    ).toFixed(
      1,
    )} ms, max ${Math.max(...cks.map((c) => c.ms)).toFixed(1)} ms (fsynced, temp dir + rename)`,
  );
}
