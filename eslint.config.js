// Lint rules, including the architecture's "rooms" (which packages a folder may import) and
// the layer order of src/ (which src/ folders it may import).
import js from '@eslint/js';
import pluginVue from 'eslint-plugin-vue';
import tseslint from 'typescript-eslint';

const tf = ['@tensorflow/*'];
const physics = ['matter-js'];
const ui = ['vue', 'pinia', 'three', 'three/*', 'chart.js', 'chart.js/*', 'vue-chartjs'];
const electron = ['electron', 'electron/*'];

/** A `no-restricted-imports` rule that names the room being violated. */
function forbid(room, groups, extra = []) {
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: groups,
            message: `${room} must not import this (see shared ARCHITECTURE.md, "rooms").`,
          },
          ...extra,
        ],
      },
    ],
  };
}

/**
 * The layers of src/, innermost first: a folder may import only from folders to its left
 * (and from itself). Folders in one entry are one layer.
 */
const LAYERS = [
  ['shared'],
  ['core'],
  ['tf', 'policies'],
  ['samplers'],
  ['algos'],
  ['training'],
  ['host'],
  ['cli'],
];

/** The packages each layer must not import (its "room"). */
const ROOMS = {
  shared: [...tf, ...physics, ...ui, ...electron],
  core: [...tf, ...physics, ...ui, ...electron],
  tf: [...physics, ...ui, ...electron],
  policies: [...physics, ...ui, ...electron],
  samplers: [...physics, ...ui, ...electron],
  algos: [...physics, ...ui, ...electron],
  training: [...ui, ...electron],
  host: [...ui, ...electron],
  cli: [...ui, ...electron],
};

/** One config block per src/ folder: its room's packages and the layers above it are off limits. */
function layerBlocks() {
  return LAYERS.flatMap((layer, i) => {
    const above = LAYERS.slice(i + 1).flat();
    const groups = above.flatMap((f) => [`../${f}`, `../${f}/*`, `../../${f}`, `../../${f}/*`]);
    return layer.map((folder) => ({
      files: [`src/${folder}/**`],
      rules: forbid(
        `src/${folder}`,
        ROOMS[folder],
        groups.length
          ? [
              {
                group: groups,
                message: `src/${folder} sits below ${above.map((f) => `src/${f}`).join(', ')} in the layer order (eslint.config.js, LAYERS): move what both need further down.`,
              },
            ]
          : [],
      ),
    }));
  });
}

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'out/**', 'dist/**', 'runs/**', 'coverage/**', 'test/fixtures/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Single-file components: Vue's correctness rules (layout is prettier's), with TypeScript in <script setup lang="ts">.
  ...pluginVue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
    // vue-tsc checks names (browser globals included), as tsc does for .ts files.
    rules: { 'no-undef': 'off' },
  },
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        performance: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'Use the seeded Rng from src/core/rng.ts: every stochastic thing takes a seed.',
        },
        {
          selector: "MemberExpression[object.name='Common'][property.name='random']",
          message: "matter-js Common.random is one process-wide seed: use the env's own Rng.",
        },
      ],
    },
  },
  ...layerBlocks(),
  { files: ['envs/**'], rules: forbid('envs/', [...tf, ...ui, ...electron]) },
  { files: ['renderer/**'], rules: forbid('renderer/', [...tf, ...physics, ...electron]) },
);
