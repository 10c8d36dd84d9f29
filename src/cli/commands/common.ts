// Shared plumbing of the `metarl` subcommands: locating runs, starting a trainer process
// behind a host, following a run with a progress bar, stopping it cleanly on Ctrl-C,
// SIGTERM or SIGHUP, and the exit status each outcome gives.
import fs from 'node:fs';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { forkTrainer, TrainerHost } from '../../host/trainerHost';
import { connectInProcess } from '../../host/client';
import type { ProtocolClient } from '../../shared/protocolClient';
import type { StreamPayloads, TrainerStatus } from '../../shared/protocol';
import { finalReturnKey } from '../../training/runDir';

/**
 * Ends a command with this exit status (main() prints `message`, if any, and returns `code`):
 * how a command that ran but did not succeed (a failed or crashed run) reports it.
 */
export class ExitStatus extends Error {
  constructor(
    readonly code: number,
    message = '',
  ) {
    super(message);
    this.name = 'ExitStatus';
  }
}

/** Signals that stop a followed run cleanly, with the conventional exit status 128 + signal number. */
export const STOP_SIGNALS = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

/** Commander collector for a repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A run given as a path (runs/<id>) or as an id under `runsRoot`. */
export function locateRun(arg: string, runsRoot: string): { root: string; runId: string } {
  const asPath = path.resolve(arg);
  if (fs.existsSync(path.join(asPath, 'config.json')))
    return { root: path.dirname(asPath), runId: path.basename(asPath) };
  const underRoot = path.resolve(runsRoot, arg);
  if (fs.existsSync(path.join(underRoot, 'config.json')))
    return { root: path.resolve(runsRoot), runId: arg };
  throw new Error(
    `No run "${arg}": neither ${asPath} nor ${underRoot} holds a config.json. List runs with \`metarl runs --runs <dir>\`.`,
  );
}

export interface TrainerSession {
  host: TrainerHost;
  client: ProtocolClient;
  close(): Promise<void>;
}

/** A trainer child process (tsx) behind a host, with an in-process client. */
export function startTrainer(runsRoot: string, preload: string[] = []): TrainerSession {
  const host = new TrainerHost(
    forkTrainer({
      runsRoot: path.resolve(runsRoot),
      preload,
      log: (l) => process.stderr.write(`[trainer] ${l}\n`),
    }),
  );
  const client = connectInProcess(host, {
    onProtocolError: (e) => process.stderr.write(`metarl: ${e.message}\n`),
  });
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
 * with ETA (plain lines when stdout is not a terminal). Ctrl-C, SIGTERM or SIGHUP (a
 * terminal closing, `timeout`, systemd, a CI runner) ask for a clean stop with a checkpoint
 * — once the run has started, if it has not yet; a second one kills the trainer.
 * Returns how the run ended and the signal that stopped it, if any.
 */
export async function followRun(
  session: TrainerSession,
  begin: () => Promise<string>,
  opts: { quiet?: boolean; onRunId?: (runId: string) => void } = {},
): Promise<{ end: TrainerStatus; signal: StopSignal | null }> {
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
              format:
                ' {bar} {value}/{total} it | {elapsed} elapsed | ETA {etaText} | return pre {pre} post {post} | {phase}',
              barCompleteChar: '█',
              barIncompleteChar: '░',
              hideCursor: true,
              etaBuffer: 20,
            });
            bar.start(s.iterations, s.iteration, {
              etaText: '—',
              pre,
              post,
              phase,
              elapsed: '0m00s',
            });
          }
          bar?.setTotal(s.iterations);
          bar?.update(s.iteration, {
            etaText: fmtMs(s.etaMs),
            pre,
            post,
            phase,
            elapsed: fmtMs(s.elapsedMs),
          });
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
        process.stdout.write(
          `iteration ${m.iteration}/${last.iterations}  return pre ${pre}  post ${post}  (${(m.wallMs / 1000).toFixed(2)} s)\n`,
        );
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
      // Non-fatal notices (a damaged checkpoint skipped) are shown even over the progress bar.
      if ((!tty || !e.fatal) && !opts.quiet)
        process.stderr.write(`${tty ? '\n' : ''}metarl: ${e.message}\n`);
    }),
  );

  let signal: StopSignal | null = null;
  let interrupts = 0;
  const onSignal = (sig: StopSignal) => {
    interrupts++;
    if (interrupts === 1) {
      signal = sig;
      (bar as SingleBar | null)?.stop();
      bar = null;
      const again = sig === 'SIGINT' ? 'Ctrl-C' : sig;
      process.stderr.write(
        `\n${sig === 'SIGINT' ? '' : `${sig}: `}Stopping after the current iteration and writing a checkpoint… (${again} again to kill)\n`,
      );
      if (runId) client.call('mrl:run.stop', { runId }).catch(() => {});
    } else {
      process.stderr.write('Killing the trainer.\n');
      host.killTrainer();
    }
  };
  const handlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map(
    (sig) => [sig, () => onSignal(sig)] as const,
  );
  for (const [sig, h] of handlers) process.on(sig, h);
  try {
    // Let the subscriptions reach the host first.
    await client.call('mrl:trainer.status', {});
    runId = await begin();
    opts.onRunId?.(runId);
    if (interrupts === 1) client.call('mrl:run.stop', { runId }).catch(() => {});
    const end = await done;
    return { end, signal };
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
    (bar as SingleBar | null)?.stop();
    for (const u of unsubs) u();
  }
}

/**
 * A followed run's exit status: 0 when it finished (or stopped on request), 1 when it failed
 * (an error, a non-finite value) or its trainer crashed, 128 + n when signal n stopped it.
 */
export function exitStatusOf(end: TrainerStatus, signal: StopSignal | null): number {
  if (end.state === 'failed' || end.state === 'crashed') return 1;
  if (signal) return STOP_SIGNALS[signal];
  return end.state === 'finished' || end.state === 'stopped' ? 0 : 1;
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
