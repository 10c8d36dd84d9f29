// Shared plumbing of the `metarl` subcommands: locating runs, starting a trainer process
// behind a host, following a run with a progress bar, and stopping it cleanly on Ctrl-C.
import fs from 'node:fs';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { forkTrainer, TrainerHost } from '../../host/trainerHost';
import { connectInProcess } from '../../host/client';
import type { ProtocolClient } from '../../shared/protocolClient';
import type { StreamPayloads, TrainerStatus } from '../../shared/protocol';
import { finalReturnKey } from '../../training/runDir';

/** Commander collector for a repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A run given as a path (runs/<id>) or as an id under `runsRoot`. */
export function locateRun(arg: string, runsRoot: string): { root: string; runId: string } {
  const asPath = path.resolve(arg);
  if (fs.existsSync(path.join(asPath, 'config.json'))) return { root: path.dirname(asPath), runId: path.basename(asPath) };
  const underRoot = path.resolve(runsRoot, arg);
  if (fs.existsSync(path.join(underRoot, 'config.json'))) return { root: path.resolve(runsRoot), runId: arg };
  throw new Error(`No run "${arg}": neither ${asPath} nor ${underRoot} holds a config.json. List runs with \`metarl runs --runs <dir>\`.`);
}

export interface TrainerSession {
  host: TrainerHost;
  client: ProtocolClient;
  close(): Promise<void>;
}

/** A trainer child process (tsx) behind a host, with an in-process client. */
export function startTrainer(runsRoot: string, preload: string[] = []): TrainerSession {
  const host = new TrainerHost(forkTrainer({ runsRoot: path.resolve(runsRoot), preload, log: (l) => process.stderr.write(`[trainer] ${l}\n`) }));
  const client = connectInProcess(host, { onProtocolError: (e) => process.stderr.write(`metarl: ${e.message}\n`) });
  return {
    host,
    client,
    async close() {
      client.close();
      await host.close();
    },
  };
}

function fmt(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(2);
}

function fmtMs(ms: number | null): string {
  if (ms === null) return '—';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * Follow the trainer's live run until it finishes, stops or fails, drawing a progress bar
 * with ETA (plain lines when stdout is not a terminal). Ctrl-C asks for a clean stop with a
 * checkpoint; a second Ctrl-C kills the trainer.
 */
export async function followRun(
  session: TrainerSession,
  begin: () => Promise<string>,
  opts: { quiet?: boolean; onRunId?: (runId: string) => void } = {},
): Promise<TrainerStatus> {
  // Subscribe before the run begins so no event is missed; until `begin` names the run, events
  // of any run count (the trainer has only one).
  let runId: string | null = null;
  const mine = (id: string | null) => runId === null || id === runId;
  const { client, host } = session;
  const tty = process.stdout.isTTY && !opts.quiet;
  let bar: SingleBar | null = null;
  let last = host.status;
  let post = '—';
  let pre = '—';
  let phase = '';
  const unsubs: Array<() => void> = [];

  const done = new Promise<TrainerStatus>((resolve) => {
    unsubs.push(
      client.on('mrl:status.changed', (s) => {
        if (s.state === 'idle' || (!mine(s.runId) && s.state !== 'crashed')) return;
        last = s;
        if (tty) {
          if (!bar && s.iterations > 0) {
            bar = new SingleBar({
              format: ' {bar} {value}/{total} it | {elapsed} elapsed | ETA {etaText} | return pre {pre} post {post} | {phase}',
              barCompleteChar: '█',
              barIncompleteChar: '░',
              hideCursor: true,
              etaBuffer: 20,
            });
            bar.start(s.iterations, s.iteration, { etaText: '—', pre, post, phase, elapsed: '0m00s' });
          }
          bar?.setTotal(s.iterations);
          bar?.update(s.iteration, { etaText: fmtMs(s.etaMs), pre, post, phase, elapsed: fmtMs(s.elapsedMs) });
        }
        if (['finished', 'stopped', 'failed', 'crashed'].includes(s.state)) resolve(s);
      }),
    );
  });
  unsubs.push(
    client.on('mrl:metrics.added', (m: StreamPayloads['mrl:metrics.added']) => {
      if (!mine(m.runId)) return;
      const k = finalReturnKey(m.metrics);
      pre = fmt(m.metrics['returns/pre'] ?? m.metrics['returns/episode_1']);
      post = k ? fmt(m.metrics[k]) : '—';
      if (!tty && !opts.quiet) {
        process.stdout.write(`iteration ${m.iteration}/${last.iterations}  return pre ${pre}  post ${post}  (${(m.wallMs / 1000).toFixed(2)} s)\n`);
      }
    }),
  );
  unsubs.push(
    client.on('mrl:progress.changed', (p) => {
      if (mine(p.runId)) phase = p.phase;
    }),
  );
  unsubs.push(
    client.on('mrl:error.raised', (e) => {
      if (!tty && !opts.quiet) process.stderr.write(`metarl: ${e.message}\n`);
    }),
  );

  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      (bar as SingleBar | null)?.stop();
      bar = null;
      process.stderr.write('\nStopping after the current iteration and writing a checkpoint… (Ctrl-C again to kill)\n');
      if (runId) client.call('mrl:run.stop', { runId }).catch(() => {});
      else host.killTrainer();
    } else {
      process.stderr.write('Killing the trainer.\n');
      host.killTrainer();
    }
  };
  process.on('SIGINT', onSigint);
  try {
    // Let the subscriptions reach the host first.
    await client.call('mrl:trainer.status', {});
    runId = await begin();
    opts.onRunId?.(runId);
    if (interrupts === 1) client.call('mrl:run.stop', { runId }).catch(() => {});
    const s = await done;
    return s;
  } finally {
    process.off('SIGINT', onSigint);
    (bar as SingleBar | null)?.stop();
    for (const u of unsubs) u();
  }
}

/** One line saying how the run ended and what to do next. */
export function describeEnd(s: TrainerStatus, runDir: string): string {
  switch (s.state) {
    case 'finished':
      return `Run ${s.runId} finished ${s.iteration} iteration${s.iteration === 1 ? '' : 's'} → ${runDir}\nEvaluate it: metarl eval ${runDir} --tasks 40`;
    case 'stopped':
      return `Run ${s.runId} stopped at iteration ${s.iteration}; checkpoint written → ${runDir}\nContinue it: metarl resume ${runDir}`;
    default:
      return `Run ${s.runId ?? ''} ${s.state}: ${s.message ?? 'no message'}`;
  }
}
