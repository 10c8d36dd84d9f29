// taskAxes: the numbers that tell tasks apart, named as the CLI's --per-task and the run
// page's task-by-task chart show them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { taskAxes } from '../../src/shared/taskAxes';
import type { JsonObject } from '../../src/shared/json';

describe('taskAxes', () => {
  it('names numeric fields, vector entries and vector lengths, in field order', () => {
    const tasks = [
      { goal: [0.3, 0.4], masses: [1, 2], mode: 'a' },
      { goal: [0, -1], masses: [1, 2], mode: 'b' },
    ];
    const axes = taskAxes(tasks);
    expect(axes.map((a) => a.key)).toEqual(['|goal|', 'goal[0]', 'goal[1]']);
    expect(axes[0].values[0]).toBeCloseTo(0.5, 12);
    expect(axes[0].values[1]).toBeCloseTo(1, 12);
    expect(axes[2].values).toEqual([0.4, -1]);
  });

  it('keeps scalar fields that vary and drops those that do not', () => {
    const axes = taskAxes([
      { velocity: 0.5, gravity: 9.8 },
      { velocity: 1.5, gravity: 9.8 },
    ]);
    expect(axes).toEqual([{ key: 'velocity', values: [0.5, 1.5] }]);
  });

  it('leaves out an axis some task lacks, and gives none for no tasks', () => {
    expect(taskAxes([{ a: 1, b: 1 }, { a: 2 }]).map((x) => x.key)).toEqual(['a']);
    expect(taskAxes([])).toEqual([]);
  });

  it('every axis has one value per task and varies (property)', () => {
    const task = fc.record({
      v: fc.double({ min: -5, max: 5, noNaN: true }),
      g: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 2, maxLength: 2 }),
    });
    fc.assert(
      fc.property(fc.array(task, { minLength: 1, maxLength: 8 }), (tasks) => {
        for (const a of taskAxes(tasks as JsonObject[])) {
          expect(a.values).toHaveLength(tasks.length);
          expect(new Set(a.values).size).toBeGreaterThan(1);
        }
      }),
    );
  });
});
