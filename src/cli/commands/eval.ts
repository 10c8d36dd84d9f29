// `metarl eval`, `metarl adapt`, `metarl runs`: use trained runs from the terminal.
//   eval  — the paper's protocol: mean return after 0..k adaptation stages (MAML steps, RL²
//           episodes) on held-out test tasks, for the run and any baselines;
//   adapt — one adaptation to a chosen task, every stage's rollouts with scene frames → JSON;
//   runs  — the runs in a directory.
// These load the learner in this process (no training happens, so no trainer process).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { collect } from './common';
import writeFileAtomic from 'write-file-atomic';
import { initBackend, type BackendName } from '../../tf/backend';
import { Trainer } from '../../training/trainer';
import {
  type BaselineSpec,
  evaluateBaselines,
  evaluateWithSpread,
  randomBaseline,
  type TaskReturns,
  tunesStepSize,
} from '../../training/evaluate';
import { loadRunLearner } from '../../training/runLoader';
import { listRunIds, summarize } from '../../training/runDir';
import { parseCommand } from '../../shared/protocol';
import { locateRun } from './common';
import { EVAL_PROTOCOLS, getEvalProtocol } from '../../training/evalProtocol';
import { taskAxes } from '../../shared/taskAxes';
import { evaluationTasks } from '../../algos/evaluate';

function intFlag(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be an integer in [${min}, ${max}], got "${v}"`);
  return n;
}

function stageLabel(unit: 'step' | 'episode', s: number): string {
  if (unit === 'episode') return `episode ${s + 1}`;
  return `${s} step${s === 1 ? '' : 's'}`;
}

export function formatTable(unit: 'step' | 'episode', columns: Record<string, number[]>): string {
  const names = Object.keys(columns);
  const rows = Math.max(...names.map((n) => columns[n].length));
  const w = Math.max(10, ...names.map((n) => n.length + 2));
  const lines = [`${'stage'.padEnd(12)}${names.map((n) => n.padStart(w)).join('')}`];
  for (let s = 0; s < rows; s++) {
    lines.push(
      `${stageLabel(unit, s).padEnd(12)}${names.map((n) => (columns[n][s] === undefined ? '' : columns[n][s].toFixed(2)).padStart(w)).join('')}`,
    );
  }
  return lines.join('\n');
}

/** Columns of the per-task table: the sort axis first, then up to three more. */
const PER_TASK_AXES = 4;

/**
 * The run's mean return on each test task, one row per task sorted by `sortBy` (an axis of
 * taskAxes; default the first), with the task's axes as the first columns.
 */
export function formatPerTask(
  unit: 'step' | 'episode',
  perTask: TaskReturns[],
  sortBy?: string,
): string {
  const axes = taskAxes(perTask.map((p) => p.task));
  const key = sortBy ?? axes[0]?.key;
  const sort = axes.find((a) => a.key === key);
  if (sortBy !== undefined && !sort)
    throw new Error(
      `--per-task: no task axis "${sortBy}"; the tasks differ along: ${axes.map((a) => a.key).join(', ') || 'nothing'}`,
    );
  const shown = sort ? [sort, ...axes.filter((a) => a !== sort)].slice(0, PER_TASK_AXES) : [];
  const order = perTask.map((_, i) => i);
  if (sort) order.sort((a, b) => sort.values[a] - sort.values[b]);
  const stages = Math.max(0, ...perTask.map((p) => p.returns.length));
  const w = Math.max(10, ...shown.map((a) => a.key.length + 2));
  const head = [
    ...shown.map((a) => a.key.padStart(w)),
    ...Array.from({ length: stages }, (_, s) => stageLabel(unit, s).padStart(10)),
  ];
  const lines = [
    sort ? `per task, sorted by ${sort.key}:` : 'per task:',
    head.join(''),
    ...order.map((i) =>
      [
        ...shown.map((a) => a.values[i].toFixed(3).padStart(w)),
        ...perTask[i].returns.map((r) => r.toFixed(2).padStart(10)),
      ].join(''),
    ),
  ];
  return lines.join('\n');
}

interface EvalFlags {
  tasks: string;
  steps?: string;
  episodes?: string;
  protocol: string;
  seed: string;
  iteration?: string;
  json?: boolean;
  runs: string;
  baselineStep: string;
  preload?: string[];
  perTask?: boolean | string;
}

function numberFlag(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new Error(`${name} must be a number in [${min}, ${max}], got "${v}"`);
  return n;
}

/** --baseline-step: 'tune' (choose on training tasks) or a fixed step size. */
function stepFlag(v: string): number | 'tune' {
  if (v === 'tune') return v;
  try {
    return numberFlag('--baseline-step', v, 0, 100);
  } catch {
    throw new Error(`--baseline-step must be "tune" or a number in [0, 100], got "${v}"`);
  }
}

export function registerEval(program: Command): void {
  program
    .command('eval <run> [baselines...]')
    .description(
      'mean return after 0..k adaptation steps (MAML) or per episode of a trial (RL²) on held-out test tasks. ' +
        'Baselines: "random" (the same learner untrained, fine-tuned from scratch) or another run (e.g. a pretrained or oracle run), optionally name=path',
    )
    .option('--tasks <n>', 'held-out test tasks', '40')
    .option(
      '--steps <k>',
      'adaptation steps (default 3) / episodes of a trial beyond the first (default: the trained trial length)',
    )
    .option('--episodes <n>', "episodes per stage (default: the protocol's)")
    .option(
      '--protocol <name>',
      `evaluation protocol: ${EVAL_PROTOCOLS.map((p) => `${p.name} (${p.description})`).join('; ')}`,
      'default',
    )
    .option('--seed <n>', 'evaluation seed (picks the test tasks)', '0')
    .option(
      '--iteration <n|best>',
      'checkpoint to evaluate (default: the latest); "best": the one meta-control chose on meta-validation',
    )
    .option('--json', 'print { returns, baselines? } as JSON')
    .option(
      '--per-task [axis]',
      'also give the return on each test task (JSON: perTask), as a table sorted by the task axis named (default: the first along which the tasks differ, e.g. velocity, |goal|, gain)',
    )
    .option('--runs <dir>', 'runs directory (when <run> is an id)', 'runs')
    .option(
      '--baseline-step <size|tune>',
      'fine-tuning step size of the random-init and pretrained baselines: "tune" picks the best on training tasks; a number fixes it (e.g. the run\'s own, as the paper did)',
      'tune',
    )
    .option(
      '--preload <module>',
      'module to import first (extra learners; repeatable)',
      collect,
      [],
    )
    .action(async (run: string, baselines: string[], f: EvalFlags) => {
      for (const m of f.preload ?? []) await import(pathToFileURL(path.resolve(m)).href);
      const tasks = intFlag('--tasks', f.tasks, 1, 10000);
      const protocol = getEvalProtocol(f.protocol);
      const episodes =
        f.episodes === undefined
          ? protocol.episodesPerStage
          : intFlag('--episodes', f.episodes, protocol.minEpisodesPerStage, 1000);
      const seed = intFlag('--seed', f.seed, 0, 2147483647);
      const baselineStep = stepFlag(f.baselineStep);
      const { root, runId } = locateRun(run, f.runs);
      const main = await loadRunLearner(
        root,
        runId,
        f.iteration === undefined
          ? undefined
          : f.iteration === 'best'
            ? 'best'
            : intFlag('--iteration', f.iteration, 0, 1e9),
        {
          field: '--iteration',
          onSkip: (it, err) =>
            process.stderr.write(
              `metarl: checkpoint ${it} of ${runId} is damaged and was skipped (${err.message})\n`,
            ),
        },
      );
      const unit = main.spec.stageUnit;
      const steps =
        f.steps === undefined
          ? unit === 'episode'
            ? Math.max(1, Number(main.meta.config.hyper.episodesPerTrial ?? 2) - 1)
            : 3
          : intFlag('--steps', f.steps, 0, 50);
      const opts = {
        tasks,
        steps,
        episodesPerStage: episodes,
        seed,
        ...(protocol.laterStepRatio !== undefined
          ? { laterStepRatio: protocol.laterStepRatio }
          : {}),
      };
      const progress = (label: string) => (done: number, total: number) => {
        if (!f.json && process.stderr.isTTY)
          process.stderr.write(`\r${label}: ${done}/${total} tasks`);
      };
      const sortBy = typeof f.perTask === 'string' ? f.perTask : undefined;
      // A wrong axis name fails before anything is evaluated.
      if (sortBy !== undefined) {
        const { tasks: testTasks } = evaluationTasks(main.family, tasks, seed);
        formatPerTask(
          unit,
          testTasks.map((task) => ({ task, returns: [] })),
          sortBy,
        );
      }
      const { returns, perTask } = await evaluateWithSpread(main.learner, main.family, {
        ...opts,
        onTask: progress(main.spec.id),
      });
      const perTaskTable = f.perTask ? formatPerTask(unit, perTask, sortBy) : '';
      await main.learner.dispose();
      const { returns: baselineReturns, stepSizes: baselineSteps } = await evaluateBaselines(
        main.family,
        baselines.map((b): BaselineSpec => {
          const [label, target] = b.includes('=') ? (b.split('=', 2) as [string, string]) : [b, b];
          return {
            name: label === target && target !== 'random' ? path.basename(target) : label,
            onTask: progress(label),
            create: async () => {
              if (target === 'random') {
                // The same learner and hyper-parameters, never trained: fine-tuning from scratch.
                await initBackend(main.meta.config.backend as BackendName);
                const { learner, stageUnit } = await randomBaseline(
                  main.spec,
                  main.family,
                  main.meta.config,
                );
                return { learner, tune: tunesStepSize('random', stageUnit) };
              }
              const loc = locateRun(target, root);
              const other = await loadRunLearner(loc.root, loc.runId);
              if (other.family.id !== main.family.id) {
                await other.learner.dispose();
                throw new Error(
                  `Baseline ${b} is a ${other.family.id} run; ${runId} is ${main.family.id}`,
                );
              }
              return { learner: other.learner, tune: tunesStepSize(other.meta.config.algo, unit) };
            },
          };
        }),
        opts,
        baselineStep === 'tune' ? undefined : baselineStep,
      );
      if (!f.json && process.stderr.isTTY) process.stderr.write('\n');
      if (f.json) {
        const extra = baselines.length
          ? {
              baselines: baselineReturns,
              ...(Object.keys(baselineSteps).length ? { baselineStepSizes: baselineSteps } : {}),
            }
          : {};
        process.stdout.write(
          JSON.stringify({
            returns,
            ...extra,
            stageUnit: unit,
            tasks,
            episodesPerStage: episodes,
            protocol: protocol.name,
            seed,
            run: runId,
            iteration: main.iteration,
            checkpoint: main.chosen.kind,
            ...(main.chosen.kind === 'best'
              ? { validationReturn: main.chosen.best!.validationReturn }
              : {}),
            ...(f.perTask ? { perTask } : {}),
          }) + '\n',
        );
        return;
      }
      const stepNote = Object.entries(baselineSteps)
        .map(
          ([n, a]) =>
            `${n} fine-tuned with step size ${a}${baselineStep === 'tune' ? ' (best on training tasks)' : ''}`,
        )
        .join('; ');
      process.stdout.write(
        `${runId} (${main.spec.id}, checkpoint ${main.iteration}${main.chosen.kind === 'best' ? `, the best on meta-validation: validation return ${main.chosen.best!.validationReturn.toFixed(2)}` : ''}) on ${tasks} held-out ${main.family.id} test tasks, ${episodes} episodes per stage, protocol ${protocol.name}, seed ${seed}\n` +
          'mean return:\n' +
          formatTable(unit, { [main.spec.id]: returns, ...baselineReturns }) +
          '\n' +
          (stepNote ? `${stepNote}\n` : '') +
          (perTaskTable ? `${perTaskTable}\n` : ''),
      );
    });

  program
    .command('adapt <run>')
    .description(
      "adapt a run to one task and write every stage's rollouts with scene frames to JSON",
    )
    .option(
      '--task <json>',
      'the task, e.g. \'{"goal":[0.3,0.2]}\' (default: a held-out test task drawn from --seed)',
    )
    .option('--steps <k>', 'adaptation steps / extra episodes', '3')
    .option('--episodes <n>', 'episodes per stage', '20')
    .option('--frames <n>', 'episodes per stage with scene frames', '1')
    .option('--seed <n>', 'seed', '0')
    .option(
      '--iteration <n|best>',
      'checkpoint (default: the latest); "best": the one meta-control chose on meta-validation',
    )
    .requiredOption('--out <file>', 'output JSON file')
    .option('--runs <dir>', 'runs directory (when <run> is an id)', 'runs')
    .option(
      '--preload <module>',
      'module to import first (extra learners; repeatable)',
      collect,
      [],
    )
    .option(
      '--step-size <α>',
      "gradient-step learners: the first step's size, later steps a quarter (default: the run's own)",
    )
    .action(
      async (
        run: string,
        f: {
          task?: string;
          steps: string;
          episodes: string;
          frames: string;
          seed: string;
          iteration?: string;
          out: string;
          runs: string;
          stepSize?: string;
          preload?: string[];
        },
      ) => {
        for (const m of f.preload ?? []) await import(pathToFileURL(path.resolve(m)).href);
        const { root, runId } = locateRun(run, f.runs);
        let task: unknown;
        if (f.task !== undefined) {
          try {
            task = JSON.parse(f.task);
          } catch (err) {
            throw new Error(`--task is not valid JSON: ${(err as Error).message}`);
          }
        }
        const payload = parseCommand('mrl:run.adapt', {
          runId,
          ...(task !== undefined ? { task } : {}),
          steps: intFlag('--steps', f.steps, 0, 20),
          episodesPerStage: intFlag('--episodes', f.episodes, 1, 200),
          framesPerStage: intFlag('--frames', f.frames, 0, 200),
          seed: intFlag('--seed', f.seed, 0, 2147483647),
          ...(f.iteration !== undefined
            ? {
                iteration:
                  f.iteration === 'best' ? 'best' : intFlag('--iteration', f.iteration, 0, 1e9),
              }
            : {}),
          ...(f.stepSize !== undefined
            ? { stepSize: numberFlag('--step-size', f.stepSize, 0, 100) }
            : {}),
        });
        const trainer = new Trainer({ runsRoot: root, emit: () => {} });
        try {
          const r = await trainer.dispatch('mrl:run.adapt', payload);
          await writeFileAtomic(f.out, JSON.stringify(r) + '\n');
          process.stdout.write(
            `Adapted ${runId} (checkpoint ${r.iteration}) to ${JSON.stringify(r.task)}${r.inDistribution ? '' : ' (outside the training distribution)'}\n` +
              formatTable(r.stageUnit, { return: r.returns }) +
              `\n→ ${f.out} (${r.episodes.length} episodes, ${r.episodes.filter((e) => e.frames).length} with frames)\n`,
          );
        } finally {
          await trainer.shutdown();
        }
      },
    );

  program
    .command('runs')
    .description('list the runs in a runs directory')
    .option('--runs <dir>', 'runs directory', 'runs')
    .option('--json', 'print the list as JSON')
    .action(async (f: { runs: string; json?: boolean }) => {
      const root = path.resolve(f.runs);
      const runs = [];
      for (const id of await listRunIds(root)) runs.push(await summarize(root, id));
      if (f.json) {
        process.stdout.write(JSON.stringify(runs, null, 2) + '\n');
        return;
      }
      if (!runs.length) {
        process.stdout.write(
          `No runs in ${root}. Start one: metarl train --env point-nav --algo maml --out ${f.runs}\n`,
        );
        return;
      }
      const head = ['run', 'family', 'algo', 'iter', 'best return', 'state', 'created'];
      const rows = runs.map((r) => [
        r.runId,
        r.family,
        r.algo,
        `${r.iteration}/${r.iterations}`,
        r.bestReturn === null ? '—' : r.bestReturn.toFixed(2),
        r.state,
        r.createdAt.replace('T', ' ').slice(0, 19),
      ]);
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      for (const r of [head, ...rows])
        process.stdout.write(
          r
            .map((c, i) => c.padEnd(widths[i]))
            .join('  ')
            .trimEnd() + '\n',
        );
    });
}
