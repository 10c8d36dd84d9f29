// The viewer's replay clock as a composable: one PlaybackClock for every pane (the split view
// stays in sync because both read it), driven by requestAnimationFrame, with the keys people
// expect from video players: Space plays / pauses, ← / → step one frame (paused), Home / End
// go to the start / end. Keys typed into a form field are left alone.
import { markRaw, onBeforeUnmount, onMounted, ref, watch } from 'vue';
import { PlaybackClock } from './adaptation';

export function usePlayback(fps = 30) {
  const clock = markRaw(new PlaybackClock(0, fps));
  const frame = ref(0);
  const playing = ref(false);
  const speed = ref(1);
  const length = ref(0);
  let raf = 0;
  let last = 0;

  function loop(now: number): void {
    const dt = last ? Math.min(now - last, 100) : 0;
    last = now;
    const f = clock.tick(dt);
    if (f !== frame.value) frame.value = f;
    if (clock.playing !== playing.value) playing.value = clock.playing;
    raf = requestAnimationFrame(loop);
  }

  /** A new replay of `n` frames, playing from the start (looping). */
  function start(n: number): void {
    clock.length = n;
    clock.loop = true;
    clock.seek(0);
    clock.playing = n > 0;
    length.value = n;
    frame.value = 0;
    playing.value = clock.playing;
  }

  function clear(): void {
    clock.playing = false;
    clock.length = 0;
    clock.seek(0);
    length.value = 0;
    frame.value = 0;
    playing.value = false;
  }

  function togglePlay(): void {
    if (!length.value) return;
    if (!clock.playing && clock.frame >= length.value - 1) clock.seek(0);
    clock.playing = !clock.playing;
    playing.value = clock.playing;
  }

  function seek(f: number): void {
    clock.playing = false;
    playing.value = false;
    clock.seek(f);
    frame.value = clock.frame;
  }

  /** One frame forward or back, pausing first (as a video player's arrow keys do). */
  function step(delta: number): void {
    if (!length.value) return;
    seek(Math.max(0, Math.min(length.value - 1, clock.frame + delta)));
  }

  function onKey(e: KeyboardEvent): void {
    const t = e.target as HTMLElement | null;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (t && (t.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tagName))) {
      // Space toggles a focused checkbox or range: only arrows on a range are the user's own.
      if (!(t instanceof HTMLInputElement && t.type === 'checkbox' && e.key !== ' ')) return;
    }
    if (e.key === ' ') togglePlay();
    else if (e.key === 'ArrowRight') step(1);
    else if (e.key === 'ArrowLeft') step(-1);
    else if (e.key === 'Home') step(-length.value);
    else if (e.key === 'End') step(length.value);
    else return;
    e.preventDefault();
  }

  watch(speed, (s) => (clock.speed = s));
  onMounted(() => {
    raf = requestAnimationFrame(loop);
    window.addEventListener('keydown', onKey);
  });
  onBeforeUnmount(() => {
    cancelAnimationFrame(raf);
    clock.playing = false;
    window.removeEventListener('keydown', onKey);
  });

  return { clock, frame, playing, speed, length, start, clear, togglePlay, seek, step };
}
