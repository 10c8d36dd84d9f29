// `npm run bench:viewer`: replay 20 agents at once in one scene in headless Chromium
// (software GL on this machine) and print the frame rate measured inside the page
// (requestAnimationFrame intervals, median). A figure to report, not a test: the goal is 60 fps.
//   npm run bench:viewer -- [--seconds 4] [--agents 20] [--family point-nav] [--shadows auto|on|off] [--no-trails]
//                           [--size 960x600] [--shots dir]   (--shots saves a PNG of each family's scene)
import { cpus, loadavg } from 'node:os';
import { familyIds } from '../../envs/registry';
import { makeRollouts, openHarness, prepareAllFamilies } from '../e2e/viewer/sceneHarness';
import type { BenchInput, BenchResult, HarnessWindow } from '../../renderer/scene/harness/api';

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
    `viewer benchmark: ${agents} agents replaying at once, ${width}×${height}, shadows ${shadowFlag} → ${rows[0]?.shadows ? 'on' : 'off'}, ${seconds} s per family`,
  );
  console.log(`GL: ${rows[0]?.glRenderer}`);
  console.log(
    'family        fps   median ms  p95 ms  pose ms  render ms  render-bound fps  draw calls  triangles',
  );
  for (const r of rows) {
    console.log(
      [
        r.family.padEnd(12),
        r.fps.toFixed(1).padStart(5),
        r.medianFrameMs.toFixed(2).padStart(10),
        r.p95FrameMs.toFixed(2).padStart(7),
        r.medianWorkMs.toFixed(2).padStart(8),
        r.medianRenderMs.toFixed(2).padStart(10),
        (1000 / r.medianRenderMs).toFixed(0).padStart(17),
        String(r.drawCalls).padStart(11),
        String(r.triangles).padStart(10),
      ].join(' '),
    );
  }
  console.log(
    '(fps = 1000 / median requestAnimationFrame interval, compositor included; render = one render forced to completion)',
  );
  console.log(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} (on ${cpus().length} cores; other processes slow software GL)`,
  );
} finally {
  await harness.close();
}
