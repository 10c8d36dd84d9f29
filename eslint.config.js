// Lint rules, including the architecture's "rooms": which folder may import what.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const tf = ['@tensorflow/*'];
const physics = ['matter-js'];
const ui = ['vue', 'pinia', 'three', 'three/*', 'chart.js', 'chart.js/*', 'vue-chartjs'];
const electron = ['electron', 'electron/*'];

/** A `no-restricted-imports` rule that names the room being violated. */
function forbid(room, groups) {
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: groups,
            message: `${room} must not import this (see shared ARCHITECTURE.md, "rooms").`,
          },
        ],
      },
    ],
  };
}

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'out/**', 'dist/**', 'runs/**', 'coverage/**', 'test/fixtures/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
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
  {
    files: ['src/shared/**'],
    rules: forbid('src/shared', [...tf, ...physics, ...ui, ...electron]),
  },
  { files: ['src/core/**'], rules: forbid('src/core', [...tf, ...physics, ...ui, ...electron]) },
  { files: ['envs/**'], rules: forbid('envs/', [...tf, ...ui, ...electron]) },
  {
    files: ['src/algos/**', 'src/policies/**', 'src/tf/**', 'src/samplers/**'],
    rules: forbid('learning code', [...physics, ...ui, ...electron]),
  },
  {
    files: ['src/training/**', 'src/host/**', 'src/cli/**'],
    rules: forbid('the trainer runtime', [...ui, ...electron]),
  },
  { files: ['renderer/**'], rules: forbid('renderer/', [...tf, ...physics, ...electron]) },
);
