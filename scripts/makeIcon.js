#!/usr/bin/env node
// Draws the app icon (build/icon.png, 1024×1024 RGBA) from code, so it can be regenerated
// and reviewed: a dark rounded tile with three adaptation trails (before adaptation, after
// one step, after two) curving from a common start to a green goal, the product's idea.
// PNG encoding is zlib + CRC, both from Node; electron-builder derives .icns/.ico from it.
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const N = 1024;
const px = new Float32Array(N * N * 4); // premultiplied-free RGBA in [0, 1]

function blend(x, y, r, g, b, a) {
  if (x < 0 || y < 0 || x >= N || y >= N || a <= 0) return;
  const o = (y * N + x) * 4;
  const da = px[o + 3];
  const oa = a + da * (1 - a);
  px[o] = (r * a + px[o] * da * (1 - a)) / oa;
  px[o + 1] = (g * a + px[o + 1] * da * (1 - a)) / oa;
  px[o + 2] = (b * a + px[o + 2] * da * (1 - a)) / oa;
  px[o + 3] = oa;
}

const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16) / 255);

// Rounded tile with a vertical gradient; anti-aliased by distance to the rounded rectangle.
const M = 64,
  R = 200;
for (let y = 0; y < N; y++) {
  for (let x = 0; x < N; x++) {
    const qx = Math.max(Math.abs(x + 0.5 - N / 2) - (N / 2 - M - R), 0);
    const qy = Math.max(Math.abs(y + 0.5 - N / 2) - (N / 2 - M - R), 0);
    const d = Math.hypot(qx, qy) - R;
    const a = Math.min(1, Math.max(0, 0.5 - d));
    const t = y / N;
    blend(x, y, 0.09 + 0.05 * t, 0.11 + 0.06 * t, 0.16 + 0.1 * t, a);
  }
}

function disc(cx, cy, rad, rgb, alpha = 1) {
  for (let y = Math.floor(cy - rad - 1); y <= cy + rad + 1; y++) {
    for (let x = Math.floor(cx - rad - 1); x <= cx + rad + 1; x++) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy) - rad;
      blend(x, y, rgb[0], rgb[1], rgb[2], alpha * Math.min(1, Math.max(0, 0.5 - d)));
    }
  }
}

// Quadratic Bézier trails from the start (lower left) towards the goal (upper right); the
// earlier the adaptation stage, the wider its miss.
const start = [270, 760],
  goal = [740, 300];
const trails = [
  { ctrl: [250, 250], end: [520, 210], color: hex('#64748b'), w: 20 },
  { ctrl: [400, 330], end: [690, 270], color: hex('#60a5fa'), w: 24 },
  { ctrl: [560, 600], end: goal, color: hex('#3b82f6'), w: 30 },
];
for (const t of trails) {
  const steps = 1400;
  for (let i = 0; i <= steps; i++) {
    const s = i / steps;
    const x = (1 - s) ** 2 * start[0] + 2 * (1 - s) * s * t.ctrl[0] + s * s * t.end[0];
    const y = (1 - s) ** 2 * start[1] + 2 * (1 - s) * s * t.ctrl[1] + s * s * t.end[1];
    disc(x, y, t.w / 2, t.color, 0.25);
  }
}
disc(goal[0], goal[1], 70, hex('#22c55e'), 0.25);
disc(goal[0], goal[1], 46, hex('#22c55e'));
disc(start[0], start[1], 38, hex('#e2e8f0'));

// Encode as PNG: filter byte 0 per row, zlib, CRC32 per chunk.
const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) {
  raw[y * (N * 4 + 1)] = 0;
  for (let x = 0; x < N * 4; x++)
    raw[y * (N * 4 + 1) + 1 + x] = Math.round(Math.min(1, Math.max(0, px[y * N * 4 + x])) * 255);
}
const table = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc(body));
  return Buffer.concat([len, body, c]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = path.join(import.meta.dirname, '..', 'build', 'icon.png');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, png);
console.log(`wrote ${out} (${N}×${N}, ${png.length} bytes)`);
