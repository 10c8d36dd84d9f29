// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import TaskEditor from '../../../renderer/src/viewer/TaskEditor.vue';
import { cartpole } from '../../../envs/cartpole';
import type { ParamInfo } from '../../../renderer/src/viewer/adaptation';

const params = cartpole.params as ParamInfo[];
const task = { poleMass: 0.1, poleLength: 1, gravity: 9.8, cartFriction: 0.05, gain: 10 };

describe('TaskEditor', () => {
  it('builds one slider per task parameter over the allowed range', () => {
    const w = mount(TaskEditor, { props: { params, task } });
    const sliders = w.findAll('input[type="range"]');
    expect(sliders).toHaveLength(params.length);
    const len = w.get('[data-testid="param-slider-poleLength"]').element as HTMLInputElement;
    expect([Number(len.min), Number(len.max), Number(len.value)]).toEqual([0.2, 2, 1]);
    expect(w.text()).not.toContain('out of distribution');
  });

  it('emits the edited task and marks values outside the training range', async () => {
    const w = mount(TaskEditor, { props: { params, task } });
    await w.get('[data-testid="param-slider-poleLength"]').setValue('1.8');
    const emitted = w.emitted('update:task');
    expect(emitted?.[0][0]).toEqual({ ...task, poleLength: 1.8 });
    expect(task.poleLength).toBe(1); // the prop is not mutated
    await w.setProps({ task: emitted![0][0] as typeof task });
    const box = w.get('[data-testid="param-value-poleLength"]').element as HTMLInputElement;
    expect(Number(box.value)).toBe(1.8);
    expect(w.findAll('[data-status="out"]')).toHaveLength(1);
    expect(w.text()).toContain('out of distribution');
  });

  it('takes an exact value in the number box beside the slider, and names a rejected one', async () => {
    const w = mount(TaskEditor, { props: { params, task } });
    await w.get('[data-testid="param-value-gravity"]').setValue('12.5');
    expect(w.emitted('update:task')?.[0][0]).toEqual({ ...task, gravity: 12.5 });
    await w.get('[data-testid="param-value-poleLength"]').setValue('7');
    expect(w.emitted('update:task')).toHaveLength(1); // not applied
    expect(w.get('[data-testid="param-error-poleLength"]').text()).toBe(
      'Pole length must be a number from 0.2 to 2 m.',
    );
  });
});
