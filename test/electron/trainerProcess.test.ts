// The trainer launcher of the desktop app: a utilityProcess on the bundled trainer entry
// with the runs folder, wrapped as the TrainerChannel the shared host drives.
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { ForkOptions, UtilityProcess } from 'electron';
import { utilityTrainerLauncher } from '../../electron/main/trainerProcess';

class FakeChild extends EventEmitter {
  posted: unknown[] = [];
  killed = 0;
  pid = 4242;
  stdout = new EventEmitter();
  stderr = new EventEmitter();
  postMessage(m: unknown): void {
    this.posted.push(m);
  }
  kill(): boolean {
    this.killed++;
    return true;
  }
}

describe('utilityTrainerLauncher', () => {
  it('forks the entry with the runs folder and passes messages, logs and exits through', () => {
    const forks: { path: string; args?: string[]; options?: ForkOptions; child: FakeChild }[] = [];
    const logs: string[] = [];
    const launch = utilityTrainerLauncher({
      fork: (path, args, options) => {
        const child = new FakeChild();
        forks.push({ path, args, options, child });
        return child as unknown as UtilityProcess;
      },
      entry: '/app/out/main/trainer.js',
      runsRoot: '/home/u/runs',
      log: (l) => logs.push(l),
    });
    expect(forks).toHaveLength(0);
    const channel = launch();
    expect(forks).toHaveLength(1);
    const { child, path, args, options } = forks[0];
    expect(path).toBe('/app/out/main/trainer.js');
    expect(args).toEqual(['--runs', '/home/u/runs']);
    expect(options?.stdio).toBe('pipe');
    expect(channel.pid).toBe(4242);

    channel.send({ kind: 'call', id: 1, channel: 'mrl:runs.list', payload: {} });
    expect(child.posted).toEqual([{ kind: 'call', id: 1, channel: 'mrl:runs.list', payload: {} }]);
    const got: unknown[] = [];
    channel.onMessage((m) => got.push(m));
    child.emit('message', { kind: 'reply', id: 1, ok: true, result: [] });
    expect(got).toEqual([{ kind: 'reply', id: 1, ok: true, result: [] }]);

    child.stderr.emit('data', Buffer.from('Error: backend "tensorflow-gpu" is not available\n'));
    expect(logs).toEqual(['[trainer] Error: backend "tensorflow-gpu" is not available']);
    const exits: string[] = [];
    channel.onExit((why) => exits.push(why));
    child.emit('exit', 1);
    expect(exits).toEqual(['exit code 1: Error: backend "tensorflow-gpu" is not available']);
    // Already gone: nothing to stop.
    channel.terminate();
    expect(child.killed).toBe(0);
  });

  function launchOne(graceMs: number): {
    channel: ReturnType<ReturnType<typeof utilityTrainerLauncher>>;
    child: FakeChild;
  } {
    let child!: FakeChild;
    const channel = utilityTrainerLauncher({
      fork: () => (child = new FakeChild()) as unknown as UtilityProcess,
      entry: '/app/out/main/trainer.js',
      runsRoot: '/runs',
      graceMs,
    })();
    return { channel, child };
  }

  it('passes the example runs folder when given one', () => {
    const forks: (string[] | undefined)[] = [];
    const launch = utilityTrainerLauncher({
      fork: (_path, args) => {
        forks.push(args);
        return new FakeChild() as unknown as UtilityProcess;
      },
      entry: '/app/out/main/trainer.js',
      runsRoot: '/home/u/runs',
      examplesRoot: '/opt/app/resources/examples/runs',
    });
    launch();
    expect(forks).toEqual([
      ['--runs', '/home/u/runs', '--examples', '/opt/app/resources/examples/runs'],
    ]);
  });

  it('stops the trainer with the shutdown message, not a kill, when it exits in time', () => {
    vi.useFakeTimers();
    try {
      const { channel, child } = launchOne(5000);
      channel.terminate();
      expect(child.posted).toEqual([{ kind: 'shutdown' }]);
      expect(child.killed).toBe(0);
      vi.advanceTimersByTime(4000);
      child.emit('exit', 0);
      vi.advanceTimersByTime(10_000);
      expect(child.killed).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('kills a trainer that has not exited when the grace period ends', () => {
    vi.useFakeTimers();
    try {
      const { channel, child } = launchOne(5000);
      channel.terminate();
      vi.advanceTimersByTime(4999);
      expect(child.killed).toBe(0);
      vi.advanceTimersByTime(2);
      expect(child.killed).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
