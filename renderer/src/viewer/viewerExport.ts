// The viewer's exports: a file download, a PNG of the scene that carries its own legend
// (each stage's colour, name and mean return, the task and the run), so a picture pasted
// anywhere still says what it shows, and a WebM of one pass of the replay.
import type { PlaybackClock } from './adaptation';

export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface LegendRow {
  color: string;
  label: string;
  value: string;
}

/** The scene image with a legend band under it: a title line, then one swatch, name and value per stage. */
export async function pngWithLegend(
  scene: Blob,
  title: string,
  rows: readonly LegendRow[],
): Promise<Blob> {
  const img = await createImageBitmap(scene);
  const scale = Math.max(1, img.width / 900);
  const pad = 14 * scale;
  const line = 22 * scale;
  const perRow = Math.max(1, Math.floor(img.width / (260 * scale)));
  const band = pad * 2 + line * (1 + Math.ceil(rows.length / perRow));
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height + band;
  const g = canvas.getContext('2d');
  if (!g) throw new Error('no 2-D canvas to draw the legend on');
  g.drawImage(img, 0, 0);
  g.fillStyle = '#0f1720';
  g.fillRect(0, img.height, img.width, band);
  g.textBaseline = 'middle';
  g.fillStyle = '#e5e7eb';
  g.font = `600 ${13 * scale}px system-ui, sans-serif`;
  g.fillText(title, pad, img.height + pad + line / 2, img.width - 2 * pad);
  g.font = `${13 * scale}px system-ui, sans-serif`;
  rows.forEach((r, i) => {
    const x = pad + (i % perRow) * ((img.width - 2 * pad) / perRow);
    const y = img.height + pad + line * (1.5 + Math.floor(i / perRow));
    g.fillStyle = r.color;
    g.fillRect(x, y - 6 * scale, 12 * scale, 12 * scale);
    g.fillStyle = '#e5e7eb';
    g.fillText(`${r.label}: ${r.value}`, x + 18 * scale, y);
  });
  img.close();
  return new Promise<Blob>((resolve, reject) =>
    canvas.toBlob(
      (b) => (b ? resolve(b) : reject(new Error('canvas.toBlob returned no image'))),
      'image/png',
    ),
  );
}

/** Record one pass of the replay (from the start, at the clock's speed) as WebM. */
export async function recordWebm(canvas: HTMLCanvasElement, clock: PlaybackClock): Promise<Blob> {
  if (typeof MediaRecorder === 'undefined')
    throw new Error('This browser cannot record video (no MediaRecorder).');
  const stream = canvas.captureStream(30);
  try {
    const type = MediaRecorder.isTypeSupported('video/webm;codecs=vp9')
      ? 'video/webm;codecs=vp9'
      : 'video/webm';
    const rec = new MediaRecorder(stream, { mimeType: type });
    const chunks: Blob[] = [];
    rec.ondataavailable = (e) => e.data.size && chunks.push(e.data);
    const stopped = new Promise<void>((resolve) => (rec.onstop = () => resolve()));
    clock.seek(0);
    clock.loop = false;
    clock.playing = true;
    rec.start(250);
    // One pass: the clock stops itself at the last frame.
    await new Promise<void>((resolve) => {
      const check = () => (clock.playing ? setTimeout(check, 100) : resolve());
      check();
    });
    rec.stop();
    await stopped;
    return new Blob(chunks, { type: 'video/webm' });
  } finally {
    stream.getTracks().forEach((t) => t.stop());
    clock.loop = true;
  }
}
