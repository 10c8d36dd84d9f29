// The protocol's schemas: well-formed messages pass with defaults filled, malformed ones are
// rejected with a message naming the field, and random junk never throws anything but a
// ProtocolError.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { z } from 'zod';
import {
  COMMAND_CHANNELS,
  ProtocolError,
  SceneSchema,
  parseCall,
  parseCommand,
  parseServerMessage,
} from '../../src/shared/protocol';
import { parseRunConfig } from '../../src/shared/config';
import type { SceneDescription } from '../../src/shared/scene';
import { pointNav } from '../../envs/pointNav';

// Compile-time: the scene schema's output is exactly the scene type of src/shared/scene.ts.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sceneMatches: Same<z.infer<typeof SceneSchema>, SceneDescription> = true;

describe('protocol schemas', () => {
  it('the scene schema accepts a real family scene', () => {
    expect(sceneMatches).toBe(true);
    const scene = pointNav.make({ goal: [0.1, 0.2] }).scene();
    expect(SceneSchema.parse(scene)).toEqual(scene);
  });

  it('fills run-config defaults and names bad fields with their range', () => {
    const c = parseRunConfig({ family: 'point-nav', algo: 'maml' });
    expect(c.seed).toBe(1);
    expect(c.backend).toBe('auto');
    expect(c.checkpointEvery).toBe(10);
    expect(() => parseRunConfig({ family: 'point-nav', algo: 'maml', seed: -3 })).toThrow(
      /config\.seed: must be an integer in \[0, 2147483647\] \(got -3\)/,
    );
    expect(() => parseRunConfig({ family: 'point-nav', algo: 'maml', itrations: 5 })).toThrow(
      /unknown field "itrations"/,
    );
    expect(() => parseRunConfig({ family: 'point-nav', algo: 'maml', backend: 'gpu' })).toThrow(
      /config\.backend: must be one of auto/,
    );
  });

  it('validates call envelopes and payloads', () => {
    const call = parseCall({
      kind: 'call',
      id: 3,
      channel: 'mrl:run.pause',
      payload: { runId: 'r1' },
    });
    expect(call.channel).toBe('mrl:run.pause');
    expect(() =>
      parseCall({ kind: 'call', id: 3, channel: 'mrl:run.explode', payload: {} }),
    ).toThrow(ProtocolError);
    expect(() =>
      parseCall({ kind: 'call', id: -1, channel: 'mrl:run.pause', payload: {} }),
    ).toThrow(/id/);
    expect(() => parseCommand('mrl:run.pause', { runId: '../etc' })).toThrow(/payload\.runId/);
    expect(() => parseCommand('mrl:run.adapt', { runId: 'a', steps: 99 })).toThrow(
      /payload\.steps: must be an integer in \[0, 20\]/,
    );
    expect(() => parseCommand('mrl:run.adapt', { runId: 'a', stepSize: -1 })).toThrow(
      /payload\.stepSize/,
    );
    expect(parseCommand('mrl:run.adapt', { runId: 'a', stepSize: 0.02 }).stepSize).toBe(0.02);
    const adapt = parseCommand('mrl:run.adapt', { runId: 'a' });
    expect(adapt).toMatchObject({ steps: 3, episodesPerStage: 20, framesPerStage: 1, seed: 0 });
    expect(parseCommand('mrl:runs.list', undefined)).toEqual({});
    expect(() => parseCommand('mrl:stream.subscribe', { streams: ['mrl:nope'] })).toThrow(
      /stream must be one of/,
    );
    const start = parseCommand('mrl:run.start', {
      config: { family: 'point-nav', algo: 'maml', hyper: { innerLr: 0.1 } },
    });
    expect(start.config.hyper).toEqual({ innerLr: 0.1 });
  });

  it('a checkpoint choice is "latest", "best" or an iteration; anything else is refused naming the field and the choices', () => {
    for (const channel of ['mrl:run.evaluate', 'mrl:run.adapt'] as const) {
      expect(parseCommand(channel, { runId: 'a' }).iteration).toBeUndefined();
      for (const ok of ['latest', 'best', 0, 40] as const)
        expect(parseCommand(channel, { runId: 'a', iteration: ok }).iteration).toBe(ok);
      for (const bad of ['bets', 'Best', '', -1, 2.5, 1_000_001, null, { iteration: 3 }])
        expect(() => parseCommand(channel, { runId: 'a', iteration: bad })).toThrow(
          /payload\.iteration: must be "latest", "best" \(the best checkpoint on meta-validation\) or a saved iteration \(an integer in \[0, 1000000\]\)/,
        );
    }
    expect(() => parseCommand('mrl:run.evaluate', { runId: 'a', iteration: '7' })).toThrow(
      ProtocolError,
    );
  });

  it('random junk is rejected with a ProtocolError, never another exception', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({
            kind: fc.constant('call'),
            id: fc.anything(),
            channel: fc.constantFrom(...COMMAND_CHANNELS),
            payload: fc.anything(),
          }),
        ),
        (junk) => {
          try {
            const call = parseCall(junk);
            parseCommand(call.channel, call.payload);
          } catch (err) {
            expect(err).toBeInstanceOf(ProtocolError);
          }
          try {
            parseServerMessage(junk);
          } catch (err) {
            expect(err).toBeInstanceOf(ProtocolError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
