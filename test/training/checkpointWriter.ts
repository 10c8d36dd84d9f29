// Child process for the atomic-checkpoint test: writes checkpoints 1, 2, 3, … of a large
// tensor whose every value equals the iteration, announcing each phase on stdout so the
// parent can SIGKILL it at a chosen moment. Argument: 'pause-before-rename' makes it sleep
// between the complete temp directory and the rename.
import { writeCheckpoint } from '../../src/training/checkpoint';

const [dir, mode] = process.argv.slice(2);
const N = 2_000_000;
for (let it = 1; ; it++) {
  const data = new Float32Array(N).fill(it);
  process.stdout.write(`writing ${it}\n`);
  await writeCheckpoint(
    dir,
    {
      learner: {
        algo: 'x',
        iteration: it,
        params: { w: { shape: [N], data } },
        optimizerTensors: {},
        optimizerState: { it },
        rng: { bits: [1, 2, 3, 4], spare: null },
      },
      trainer: { rng: { bits: [5, 6, 7, 8], spare: null }, elapsedMs: it },
    },
    {
      beforeRename: async () => {
        if (mode === 'pause-before-rename' && it >= 2) {
          process.stdout.write(`renaming ${it}\n`);
          await new Promise((r) => setTimeout(r, 10_000));
        }
      },
    },
  );
  process.stdout.write(`wrote ${it}\n`);
}
