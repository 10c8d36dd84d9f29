// The architecture's import "rooms" are enforced by ESLint: check the rules bite by linting
// small snippets as if they lived in each folder.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const eslint = new ESLint({ cwd: root, overrideConfigFile: join(root, 'eslint.config.js') });

async function errors(code: string, file: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath: join(root, file) });
  return res.messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`);
}

/** A single-file component whose <script setup lang="ts"> holds `code`. */
function vue(code: string): string {
  return `<script setup lang="ts">\n${code}\n</script>\n\n<template><p>{{ n }}</p></template>\n`;
}

describe('import rules per folder', () => {
  it.each([
    ["import 'matter-js';", 'src/shared/x.ts'],
    ["import * as tf from '@tensorflow/tfjs';\nexport const t = tf;", 'src/shared/x.ts'],
    ["import '@tensorflow/tfjs';", 'envs/x.ts'],
    ["import 'three';", 'envs/x.ts'],
    ["import 'electron';", 'envs/x.ts'],
    ["import '@tensorflow/tfjs';", 'renderer/x.ts'],
    ["import 'matter-js';", 'renderer/x.ts'],
    ["import 'three';", 'src/algos/x.ts'],
    ["import 'vue';", 'src/algos/x.ts'],
    ["import 'matter-js';", 'src/algos/x.ts'],
    ["import 'matter-js';", 'src/core/x.ts'],
    [vue("import * as tf from '@tensorflow/tfjs';\nconst n = tf;"), 'renderer/src/RunBadge.vue'],
    [
      vue("import { ipcRenderer } from 'electron';\nconst n = ipcRenderer;"),
      'renderer/src/RunBadge.vue',
    ],
  ])('%s in %s is an error', async (code, file) => {
    const errs = await errors(code, file);
    expect(
      errs.some((e) => e.startsWith('no-restricted-imports') && /must not import/.test(e)),
    ).toBe(true);
  });

  it.each([
    ["import Matter from 'matter-js';\nexport const M = Matter;", 'envs/x.ts'],
    ["import * as tf from '@tensorflow/tfjs';\nexport const t = tf;", 'src/algos/x.ts'],
    ["import * as THREE from 'three';\nexport const T = THREE;", 'renderer/x.ts'],
    ["import { z } from 'zod';\nexport const s = z.string();", 'src/shared/x.ts'],
    [vue("import { ref } from 'vue';\nconst n = ref<number>(1);"), 'renderer/src/RunBadge.vue'],
  ])('%s in %s is allowed', async (code, file) => {
    expect(await errors(code, file)).toEqual([]);
  });

  it.each([
    ["import { Trainer } from '../training/trainer';\nexport const T = Trainer;", 'src/algos/x.ts'],
    [
      "import type { Metrics } from '../algos/metaLearner';\nexport type M = Metrics;",
      'src/samplers/x.ts',
    ],
    ["import '../samplers/sampler';", 'src/policies/x.ts'],
    ["import '../core/rng';", 'src/shared/x.ts'],
    ["import '../cli/main';", 'src/host/x.ts'],
    ["import '../host/client';", 'src/training/x.ts'],
  ])('%s in %s breaks the layer order', async (code, file) => {
    const errs = await errors(code, file);
    expect(errs.some((e) => e.startsWith('no-restricted-imports') && /layer order/.test(e))).toBe(
      true,
    );
  });

  it.each([
    ["import { Rng } from '../core/rng';\nexport const R = Rng;", 'src/algos/x.ts'],
    ["import { exp } from '../tf/ops';\nexport const e = exp;", 'src/policies/x.ts'],
    [
      "import { Trainer } from '../../training/trainer';\nexport const T = Trainer;",
      'src/cli/commands/x.ts',
    ],
    [
      "import { getAlgo } from '../algos/registry';\nexport const g = getAlgo;",
      'src/training/x.ts',
    ],
  ])('%s in %s follows the layer order', async (code, file) => {
    expect(await errors(code, file)).toEqual([]);
  });

  it('forbids Math.random and matter-js Common.random anywhere', async () => {
    expect((await errors('export const r = Math.random();', 'src/core/x.ts')).join()).toMatch(
      /seeded Rng/,
    );
    expect(
      (
        await errors(
          "import Matter from 'matter-js';\nconst { Common } = Matter;\nexport const r = Common.random();",
          'envs/x.ts',
        )
      ).join(),
    ).toMatch(/Common\.random/);
  });
});
