// The trainer launcher of the desktop app: a utilityProcess on the bundled trainer entry
// with the runs folder, wrapped as the TrainerChannel the shared host drives.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
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

    channel.terminate();
    expect(child.killed).toBe(1);
  });
});
