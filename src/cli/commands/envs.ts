// `metarl envs`: the environment families and their task parameters.
import type { Command } from 'commander';
import { listFamilies } from '../../../envs/registry';

export function formatFamilies(): string {
  const lines: string[] = [];
  for (const f of listFamilies()) {
    lines.push(`${f.id}  —  ${f.title}`);
    lines.push(`  ${f.description}`);
    lines.push(`  observation ${f.observationSize}, action ${f.actionSize}, horizon ${f.horizon}`);
    lines.push(`  reward: ${f.docs.reward}`);
    lines.push(`  termination: ${f.docs.termination}`);
    if (f.docs.tasks) lines.push(`  tasks: ${f.docs.tasks}`);
    if (f.docs.departures) lines.push(`  departures from the reference: ${f.docs.departures}`);
    if (f.docs.oracle)
      lines.push(`  oracle (told the task): about ${f.docs.oracle.value}, ${f.docs.oracle.source}`);
    lines.push('  task parameters:');
    for (const p of f.params) {
      const unit = p.unit ? ` ${p.unit}` : '';
      lines.push(
        `    ${p.path.padEnd(18)} ${p.kind.padEnd(8)} train [${p.low}, ${p.high}]${unit}   allowed [${p.min}, ${p.max}]   ${p.label}`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

export function registerEnvs(program: Command): void {
  program
    .command('envs')
    .description('list the environment families and their task parameters')
    .option('--json', 'print the registry as JSON')
    .action((opts: { json?: boolean }) => {
      if (opts.json) process.stdout.write(JSON.stringify(listFamilies(), null, 2) + '\n');
      else process.stdout.write(formatFamilies());
    });
}
