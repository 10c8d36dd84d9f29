// `npm run bench:viewer`: replay 20 agents at once in one scene in headless Chromium
// (software GL on this machine) and print, per family, the frame rate measured inside the page
// (requestAnimationFrame intervals, median) and the frame budget: milliseconds per
// frame spent updating each scene layer and in the render call (SceneView's FrameBudget),
// plus one render forced to completion. A figure to report, not a test: the aim is 60 fps.
//   npm run bench:viewer -- [--seconds 4] [--agents 20] [--family point-nav] [--shadows auto|on|off] [--no-trails]
//                           [--size 960x600] [--shots dir]   (--shots saves a PNG of each family's scene)
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { familyIds } from '../../envs/registry';
import { makeRollouts, openHarness, prepareAllFamilies } from '../e2e/viewer/sceneHarness';
import type { BenchInput, BenchResult, HarnessWindow } from '../../renderer/scene/harness/api';
import { BUDGET_LAYERS } from '../../renderer/scene/frameBudget';

/** The `uptime` line (load averages), printed with every figure; os.loadavg() where it is missing. */
function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')}`;
  }
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const seconds = Number(flag('seconds', '4'));
const agents = Number(flag('agents', '20'));
const only = flag('family', '');
const shadowFlag = flag('shadows', 'auto');
if (!['auto', 'on', 'off'].includes(shadowFlag)) {
  console.error(`bench:viewer: --shadows must be auto, on or off, got "${shadowFlag}"`);
  process.exit(2);
}
const shadows = shadowFlag === 'auto' ? 'auto' : shadowFlag === 'on';
const [width, height] = flag('size', '960x600').split('x').map(Number);
if (!(seconds > 0) || !Number.isInteger(agents) || agents < 1) {
  console.error('bench:viewer: --seconds must be > 0 and --agents a positive integer');
  process.exit(2);
}
const families = only ? [only] : familyIds();
const shots = flag('shots', '');

const startUptime = uptime();
const harness = await openHarness();
await prepareAllFamilies();
try {
  const rows: BenchResult[] = [];
  for (const id of families) {
    const { scene, rollouts } = makeRollouts(id, agents, 200, 7);
    const input: BenchInput = {
      scene,
      rollouts,
      seconds,
      shadows,
      width,
      height,
      trails: !process.argv.includes('--no-trails'),
      keepOpen: Boolean(shots),
    };
    const r = await harness.page.evaluate(
      (inp) => (globalThis as unknown as HarnessWindow).sceneHarness.bench(inp),
      input,
    );
    rows.push(r);
    if (shots) await harness.page.locator('#view').screenshot({ path: `${shots}/bench-${id}.png` });
  }
  console.log(
    `viewer benchmark: ${agents} agents replaying at once, ${width}×${height}, shadows ${shadowFlag} → ${rows[0]?.shadows ? 'on' : 'off'}, ${seconds} s per family (rollouts seed 7)`,
  );
  console.log(`GL: ${rows[0]?.glRenderer}`);
  console.log(`uptime at the start: ${startUptime}`);
  console.log(
    'family              agents  fps (median)  median ms  p95 ms  forced render ms  draw calls  triangles',
  );
  for (const r of rows) {
    console.log(
      [
        r.family.padEnd(19),
        String(r.agents).padStart(6),
        r.fps.toFixed(1).padStart(13),
        r.medianFrameMs.toFixed(2).padStart(10),
        r.p95FrameMs.toFixed(2).padStart(7),
        r.medianRenderMs.toFixed(2).padStart(17),
        String(r.drawCalls).padStart(11),
        String(r.triangles).padStart(10),
      ].join(' '),
    );
  }
  console.log(
    '(fps = 1000 / median requestAnimationFrame interval, compositor included; forced render = one render completed with readPixels)',
  );
  console.log('');
  console.log(
    "frame budget: ms per frame in each layer's updates and in the render call, median (mean)",
  );
  console.log(
    ['family'.padEnd(19), ...BUDGET_LAYERS.map((l) => l.padStart(15)), 'frames'.padStart(7)].join(
      ' ',
    ),
  );
  for (const r of rows) {
    console.log(
      [
        r.family.padEnd(19),
        ...BUDGET_LAYERS.map((l) =>
          `${r.budget.medianMs[l].toFixed(3)} (${r.budget.meanMs[l].toFixed(3)})`.padStart(15),
        ),
        String(r.budget.frames).padStart(7),
      ].join(' '),
    );
  }
  console.log(
    `(task: goal and static bodies posed; agents: instance matrices; trails: reveal and upload ranges; camera: follow; render: the render call, uploads included, GL work queued not finished; timer resolution in the page ${rows[0]?.timerResolutionMs ?? '?'} ms)`,
  );
  console.log(`uptime at the end: ${uptime()}`);
  console.log(`(${cpus().length} cores; other processes slow software GL)`);
} finally {
  await harness.close();
}
