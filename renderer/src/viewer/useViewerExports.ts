// The viewer's exports as a composable: the adaptation record (JSON), a PNG of each pane's
// scene with its legend (title, stage colours, mean returns) under it, and a WebM of one
// pass of the replay recorded from the first pane's canvas. Failures land in errors.export.
import { ref, type Ref } from 'vue';
import type { AdaptReply, RunSummary } from '../../../src/shared/protocol';
import type { JsonObject } from '../../../src/shared/json';
import { human, humanJson } from '../lib/format';
import { runLabel } from '../lib/runInfo';
import { exportRecord, type PlaybackClock, type StageReplay } from './adaptation';
import { download, pngWithLegend, recordWebm } from './viewerExport';
import type { ViewerErrors } from './useViewerRuns';

/** What the exports need of a scene pane (ScenePane's exposed methods). */
export interface ExportablePane {
  toPng(): Promise<Blob>;
  canvas(): HTMLCanvasElement | null;
}

export interface ViewerExportSources {
  runs: Ref<RunSummary[]>;
  runA: Ref<string>;
  runB: Ref<string>;
  compare: Ref<boolean>;
  task: Ref<JsonObject>;
  replies: Ref<(AdaptReply | null)[]>;
  panes: () => [ExportablePane | null, ExportablePane | null];
  stages: () => [StageReplay[], StageReplay[]];
  clock: PlaybackClock;
  length: Ref<number>;
  errors: Ref<ViewerErrors>;
}

export function useViewerExports(src: ViewerExportSources) {
  const recording = ref(false);
  const { runs, runA, runB, compare, errors } = src;

  const baseName = () =>
    `adaptation-${runA.value || 'scene'}${compare.value && runB.value ? `-vs-${runB.value}` : ''}`;

  function exportJson(): void {
    const rec = exportRecord(
      src.task.value,
      src.replies.value.filter((r): r is AdaptReply => r !== null),
    );
    download(new Blob([JSON.stringify(rec)], { type: 'application/json' }), `${baseName()}.json`);
  }

  async function exportPng(): Promise<void> {
    const [paneA, paneB] = src.panes();
    const [stagesA, stagesB] = src.stages();
    const panes: [ExportablePane | null, StageReplay[], string][] = [[paneA, stagesA, runA.value]];
    if (compare.value) panes.push([paneB, stagesB, runB.value]);
    try {
      for (const [i, [pane, stages, id]] of panes.entries()) {
        if (!pane) continue;
        const title = `${runLabel(runs.value.find((r) => r.runId === id) ?? { runId: id })} · task ${humanJson(src.task.value)} · mean return per stage`;
        const rows = stages.map((s) => ({
          color: s.color,
          label: s.label,
          value: human(s.meanReturn),
        }));
        download(
          await pngWithLegend(await pane.toPng(), title, rows),
          `${baseName()}${i ? '-b' : ''}.png`,
        );
      }
      errors.value = { ...errors.value, export: undefined };
    } catch (err) {
      errors.value = { ...errors.value, export: (err as Error).message };
    }
  }

  async function exportVideo(): Promise<void> {
    const canvas = src.panes()[0]?.canvas();
    if (!canvas || !src.length.value) return;
    recording.value = true;
    try {
      download(await recordWebm(canvas, src.clock), `${baseName()}.webm`);
      errors.value = { ...errors.value, export: undefined };
    } catch (err) {
      errors.value = { ...errors.value, export: `Video export failed: ${(err as Error).message}` };
    } finally {
      recording.value = false;
    }
  }

  return { recording, exportJson, exportPng, exportVideo };
}
