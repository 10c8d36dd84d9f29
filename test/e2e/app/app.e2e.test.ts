// The desktop app's renderer end to end, in headless Chromium against the web host (the
// same page Electron shows, over the WebSocket transport): choose point-nav + MAML, start a
// short run, watch the charts fill with real meta-iterations, pause and resume, stop, find
// the run in Runs and reopen it. The live preview's three.js canvas must show a scene (pixel
// check of a screenshot) and the page must log no console errors. Screenshots of every
// screen are written to test/e2e/screenshots/.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startFixture, type Fixture } from './webHostFixture';

const SHOTS = path.join(ROOT, 'test', 'e2e', 'screenshots');
// Tiny but real MAML: 4 tasks × 4 episodes per meta-iteration, a live preview every 2. The
// run is long enough never to finish on its own: the test stops it.
const ITERATIONS = 60;

let fx: Fixture;
let page: Page;
const consoleErrors: string[] = [];

async function shot(name: string): Promise<void> {
  // From the top, so the sticky sidebar sits where a user sees it.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function attr(testId: string, name: string): Promise<number> {
  return Number(await page.getByTestId(testId).getAttribute(name));
}

/** Meta-iterations done, from the dashboard's "k / N" tile. */
async function iterationsDone(): Promise<number> {
  const text = (await page.getByTestId('stat-iteration').textContent()) ?? '';
  return Number(text.split('/')[0]);
}

async function waitFor(
  what: string,
  cond: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(250);
  }
}

/**
 * How much of a screenshot is not the background: the share of pixels that differ from the
 * image's most common colour. Decoded in the page (a 2-D canvas), so no PNG library is needed.
 */
async function nonBackgroundShare(png: Buffer): Promise<{ share: number; colours: number }> {
  // Page code as a string: this file is type-checked for Node, without the DOM library.
  const decode = `async (b64) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const counts = new Map();
    for (let i = 0; i < d.length; i += 4) {
      const key = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const top = Math.max(...counts.values());
    const n = d.length / 4;
    return { share: (n - top) / n, colours: counts.size };
  }`;
  return page.evaluate(`(${decode})(${JSON.stringify(png.toString('base64'))})`);
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  fx = await startFixture();
  page = await fx.browser.newPage({ viewport: { width: 1440, height: 960 }, colorScheme: 'dark' });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
});

afterAll(async () => {
  await fx?.close();
});

describe('Meta-RL Studio in the browser', () => {
  let runId = '';

  it('starts a point-nav + MAML run from the New run screen', async () => {
    await page.goto(fx.host.url);
    await page.getByTestId('family-point-nav').waitFor();
    await page.getByTestId('algo-maml').waitFor();
    await page.getByTestId('family-point-nav').click();
    await page.getByTestId('algo-maml').click();
    // Each family card times the chosen learner's defaults: point-nav from the shipped MAML
    // example; a family with no run of the kind says so.
    const card = page.getByTestId('card-estimate-point-nav');
    await card.getByText('about').waitFor();
    expect(Number(await card.getAttribute('data-seconds'))).toBeGreaterThan(0);
    expect(await card.textContent()).toContain('MAML, 200 iterations');
    expect(await page.getByTestId('card-estimate-mujoco-ant-goal').textContent()).toContain(
      'not timed on this machine yet',
    );
    await page.getByTestId('field-iterations').fill(String(ITERATIONS));
    await page.getByTestId('field-previewEvery').fill('2');
    await page.getByTestId('hyper-metaBatchSize').fill('4');
    await page.getByTestId('hyper-episodesPerTask').fill('4');
    // Inline validation: an out-of-range value disables Start and names the range.
    await page.getByTestId('field-seed').fill('-1');
    await page.getByText('must be an integer in [0, 2147483647]').first().waitFor();
    expect(await page.getByTestId('start-run').isDisabled()).toBe(true);
    await page.getByTestId('field-seed').fill('3');
    expect(await page.getByTestId('start-run').isDisabled()).toBe(false);
    await shot('new-run');
    await page.getByTestId('start-run').click();
    await page.waitForURL(/#\/dashboard$/);
    runId = (await page.getByTestId('run-id').textContent()) ?? '';
    expect(runId).toMatch(/point-nav/);
  });

  it('charts real meta-iterations as they finish, and pauses and resumes', async () => {
    await waitFor('two meta-iterations', async () => (await iterationsDone()) >= 2);
    // Both adaptation stages of MAML are charted: before and after the inner step.
    await waitFor('return points', async () => (await attr('chart-returns', 'data-points')) >= 4);
    expect(await attr('chart-losses', 'data-points')).toBeGreaterThan(0);
    expect(await page.getByTestId('stat-backend').textContent()).toMatch(/wasm|cpu|tensorflow/);

    // Every text the state badge shows, in order, recorded in the page (the pausing state
    // lasts only until the iteration in flight ends).
    await page.evaluate(`(() => {
      const el = document.querySelector('[data-testid="run-state"]');
      window.__badge = [el.textContent.trim()];
      new MutationObserver(() => window.__badge.push(el.textContent.trim())).observe(el, { childList: true, characterData: true, subtree: true });
    })()`);
    await page.getByTestId('pause').click();
    await waitFor(
      'paused',
      async () => (await page.getByTestId('run-state').textContent()) === 'paused',
    );
    const badge = (await page.evaluate('window.__badge')) as string[];
    expect(badge.indexOf('pausing after this iteration')).toBeGreaterThan(-1);
    expect(badge.indexOf('pausing after this iteration')).toBeLessThan(badge.indexOf('paused'));
    const atPause = await iterationsDone();
    await page.waitForTimeout(3000);
    expect(await iterationsDone()).toBe(atPause);

    await page.getByTestId('resume').click();
    await waitFor(
      'running again',
      async () => (await page.getByTestId('run-state').textContent()) === 'running',
    );
    await waitFor('progress after resume', async () => (await iterationsDone()) > atPause);
  });

  it('shows the live preview in a non-blank three.js view', async () => {
    await waitFor('a live preview', async () => (await attr('live-preview', 'data-episodes')) >= 2);
    await page.waitForTimeout(500);
    const png = await page.getByTestId('live-preview').screenshot();
    const { share, colours } = await nonBackgroundShare(png);
    // Floor, grid, goal, agents and trails: a real scene covers a good part of the view.
    expect(share).toBeGreaterThan(0.05);
    expect(colours).toBeGreaterThan(20);
    // The legend says what a stage and a return are, for this family.
    const legend = (await page.getByTestId('stage-legend').textContent()) ?? '';
    expect(legend).toMatch(/Grey is the meta-policy before adaptation/);
    expect(legend).toMatch(/position − goal/);
    await shot('dashboard');
  });

  it('stops the run with a checkpoint', async () => {
    expect(await page.getByTestId('run-state').textContent()).toBe('running');
    await page.getByTestId('stop').click();
    await waitFor(
      'stopped',
      async () => (await page.getByTestId('run-state').textContent()) === 'stopped',
    );
    expect(await iterationsDone()).toBeLessThan(ITERATIONS);
    // After a reload the live stream's preview is gone: a stopped run shows its final
    // checkpoint adapting instead of waiting for a preview that will never come.
    await page.reload();
    await waitFor(
      'the final policy',
      async () => (await attr('live-preview', 'data-episodes')) >= 2,
    );
    expect(await page.getByTestId('preview-note').textContent()).toMatch(
      /last checkpoint \(iteration \d+\)/,
    );
  });

  it('lists the run in Runs and reopens it with its curves', async () => {
    await page.getByTestId('nav-runs').click();
    const row = page.getByTestId(`run-row-${runId}`);
    await row.waitFor();
    expect(await row.textContent()).toContain('MAML');
    // Ticked runs share one chart.
    await page.getByTestId(`compare-${runId}`).check();
    await waitFor(
      'the overlay chart',
      async () => (await attr('overlay-chart', 'data-points')) >= 2,
    );
    await shot('runs');
    await row.click();
    await page.waitForURL(new RegExp(`#/runs/${runId}$`));
    await waitFor(
      'the reopened curves',
      async () => (await attr('run-chart-returns', 'data-points')) >= 4,
    );
    expect(await page.getByTestId('resume-run').isDisabled()).toBe(false);
    // The curves' raw values as CSV; returns are negative, so no log scale is offered for them.
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('run-chart-returns-csv').click(),
    ]);
    const lines = readFileSync((await csv.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(lines[0]).toBe('Meta-iteration,Before adaptation,After step 1');
    expect(lines.length - 1).toBe((await attr('run-chart-returns', 'data-points')) / 2);
    expect(await page.getByTestId('run-chart-returns-log').isDisabled()).toBe(true);
  });

  it('evaluates the reopened run on held-out tasks: one mean return per adaptation stage', async () => {
    await page.getByTestId('evaluate-run').click();
    const rows = page.getByTestId('evaluation').locator('tbody tr');
    await waitFor('the evaluation table', async () => (await rows.count()) === 4);
    expect(await rows.first().textContent()).toContain('Before adaptation');
    const values = (await rows.locator('td.num').allTextContents()).map(Number);
    expect(values.every((v) => Number.isFinite(v) && v < 0)).toBe(true);
    const spread = (await rows.locator('td.spread').allTextContents()).map(Number);
    expect(spread.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    // Task by task: the 10 tasks' returns at each of the 4 stages, along the goal's distance.
    const perTask = page.getByTestId('task-returns');
    expect(await perTask.getAttribute('data-axis')).toBe('|goal|');
    const points = JSON.parse((await perTask.getAttribute('data-points'))!) as number[][][];
    expect(points.map((stage) => stage.length)).toEqual([10, 10, 10, 10]);
    // Their mean is the table's figure (shown to 3 significant digits).
    points.forEach((stage, s) => {
      const mean = stage.reduce((a, [, r]) => a + r, 0) / 10;
      expect(Math.abs(mean - values[s])).toBeLessThanOrEqual(0.005 * Math.abs(values[s]));
    });
    expect(await perTask.locator('canvas').boundingBox()).not.toBeNull();
    // Any of those tasks opens in the Viewer, which takes it as its task: the first listed is
    // the one nearest the start (the list follows the axis, |goal|).
    await page.getByTestId('task-returns-pick').selectOption({ index: 1 });
    await page.getByTestId('task-returns-watch').click();
    await page.waitForURL(/#\/viewer\?/);
    const nearest = Math.min(...points[0].map(([x]) => x));
    const distance = async () =>
      Math.hypot(
        Number(await page.getByTestId('param-value-goalX').inputValue()),
        Number(await page.getByTestId('param-value-goalY').inputValue()),
      );
    await waitFor(
      'the task in the viewer',
      async () => Math.abs((await distance()) - nearest) < 2e-3,
    );
    await page.goBack();
    await page.waitForURL(new RegExp(`#/runs/${runId}$`));
    // Saved with the run: a reload shows the same figures again.
    await page.reload();
    await waitFor('the saved evaluation', async () => (await rows.count()) === 4);
    expect((await rows.locator('td.num').allTextContents()).map(Number)).toEqual(values);
    expect(await page.getByTestId('evaluation-meta').textContent()).toMatch(/10 test tasks/);
    await shot('run-detail');
  });

  it('resumes the stopped run from its checkpoint', async () => {
    const before = await attr('run-chart-returns', 'data-points');
    await page.getByTestId('resume-run').click();
    await page.waitForURL(/#\/dashboard$/);
    await waitFor(
      'running again',
      async () => (await page.getByTestId('run-state').textContent()) === 'running',
    );
    // The resumed run's chart starts from the stored iterations and grows.
    await waitFor(
      'a new iteration',
      async () => (await attr('chart-returns', 'data-points')) > before,
    );
    await page.getByTestId('stop').click();
    await waitFor(
      'stopped',
      async () => (await page.getByTestId('run-state').textContent()) === 'stopped',
    );
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
