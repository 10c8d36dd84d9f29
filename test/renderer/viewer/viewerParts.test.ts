// @vitest-environment happy-dom
// The viewer's transport bar and its keys: the bar reports play, seek, camera reset and its
// choices to the parent; the playback composable answers Space (play / pause) and the arrow
// keys (one frame, paused) as a video player does, and leaves keys typed into fields alone.
import { mount } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import { describe, expect, it } from 'vitest';
import ViewerTransport from '../../../renderer/src/viewer/ViewerTransport.vue';
import { usePlayback } from '../../../renderer/src/viewer/usePlayback';

function transport(length = 60) {
  return mount(ViewerTransport, {
    props: {
      playing: false,
      frame: 5,
      length,
      episodeChoices: [0, 1, 2],
      speed: 1,
      pick: 0,
      follow: false,
      progressive: false,
    },
  });
}

describe('ViewerTransport', () => {
  it('reports play, seek and camera reset, and shows the frame', async () => {
    const w = transport();
    expect(w.get('[data-testid="viewer-frame"]').text()).toBe('5/59');
    await w.get('[data-testid="viewer-play"]').trigger('click');
    expect(w.emitted('togglePlay')).toHaveLength(1);
    await w.get('[data-testid="viewer-scrub"]').setValue('12');
    expect(w.emitted('seek')?.[0]).toEqual([12]);
    await w.get('[data-testid="viewer-camera-reset"]').trigger('click');
    expect(w.emitted('resetCamera')).toHaveLength(1);
  });

  it('updates speed, episode, follow and progressive trails through v-model', async () => {
    const w = transport();
    await w.get('[data-testid="viewer-speed"]').setValue('4');
    expect(w.emitted('update:speed')?.[0]).toEqual([4]);
    await w.get('[data-testid="viewer-episode"]').setValue('mean');
    expect(w.emitted('update:pick')?.[0]).toEqual(['mean']);
    await w.get('[data-testid="viewer-follow"]').setValue(true);
    expect(w.emitted('update:follow')?.[0]).toEqual([true]);
    // Five speeds; the typical episode, three by number and the mean path.
    expect(w.findAll('option')).toHaveLength(5 + 5);
    await w.get('[data-testid="viewer-episode"]').setValue('median');
    expect(w.emitted('update:pick')?.[1]).toEqual(['median']);
  });

  it('disables play and scrubbing with nothing to replay', () => {
    const w = transport(0);
    expect(w.get('[data-testid="viewer-play"]').attributes('disabled')).toBeDefined();
    expect(w.get('[data-testid="viewer-scrub"]').attributes('disabled')).toBeDefined();
    expect(w.get('[data-testid="viewer-frame"]').text()).toBe('5/0');
  });
});

describe('usePlayback keys', () => {
  function host() {
    let api!: ReturnType<typeof usePlayback>;
    const w = mount(
      defineComponent({
        setup() {
          api = usePlayback(30);
          return () => h('input', { type: 'text', id: 'field' });
        },
      }),
      { attachTo: document.body },
    );
    return { w, api: () => api };
  }
  const key = (k: string, target: EventTarget = window) =>
    target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));

  it('Space plays and pauses, arrows step one frame paused, Home and End jump', () => {
    const { w, api } = host();
    const p = api();
    p.start(40);
    expect(p.playing.value).toBe(true);
    key(' ');
    expect(p.playing.value).toBe(false);
    key('ArrowRight');
    key('ArrowRight');
    expect(p.frame.value).toBe(2);
    key('ArrowLeft');
    expect(p.frame.value).toBe(1);
    key('End');
    expect(p.frame.value).toBe(39);
    key('Home');
    expect(p.frame.value).toBe(0);
    key(' ');
    expect(p.playing.value).toBe(true);
    w.unmount();
  });

  it('leaves keys typed into a text field alone, and does nothing once unmounted', () => {
    const { w, api } = host();
    const p = api();
    p.start(40);
    key(' ', document.getElementById('field')!);
    expect(p.playing.value).toBe(true);
    w.unmount();
    // Unmounting stops the clock, and the keys are no longer heard.
    expect(p.clock.playing).toBe(false);
    key(' ');
    expect(p.clock.playing).toBe(false);
    key('ArrowRight');
    expect(p.frame.value).toBe(0);
  });
});
