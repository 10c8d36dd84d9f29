import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { initParams } from '../../src/policies/gaussianMlp';
import { rolloutRange } from '../../src/samplers/rollout';
import { resolveFamily } from '../../src/samplers/families';
import {
  decodeEpisodes,
  decodeParams,
  encodeEpisodes,
  encodeParams,
  RolloutJobSchema,
  type RolloutJob,
} from '../../src/samplers/rolloutJob';
import { parseRedisUrl, redactRedisUrl, stripRedisPassword } from '../../src/samplers/redisUrl';
import { SamplerChoiceSchema } from '../../src/shared/cluster';
import { parseRunConfig } from '../../src/shared/config';

const spec = { obsSize: 2, actSize: 2, hidden: [8], activation: 'tanh' as const, initStd: 0.5 };
const job: RolloutJob = {
  protocol: 1,
  appVersion: '0.1.0',
  learner: 'maml',
  familyId: 'point-nav',
  paramsKey: 'metarl:params:h-1-x.1',
  paramsCount: 1,
  paramsIndex: 0,
  spec,
  task: { goal: [0.1, 0.2] },
  taskIndex: 0,
  episodesPerTask: 4,
  e0: 0,
  e1: 2,
  seed: 1,
  deterministic: false,
  normalizeActions: true,
  recordFrames: false,
  resultKey: 'metarl:result:h-1-x.1.0.0',
};

describe('rollout job payload', () => {
  it('accepts a well-formed job and refuses extra fields, bad ranges, unknown learners and foreign keys', () => {
    expect(RolloutJobSchema.safeParse(job).success).toBe(true);
    expect(RolloutJobSchema.safeParse({ ...job, code: 'process.exit()' }).success).toBe(false);
    expect(RolloutJobSchema.safeParse({ ...job, e0: 2, e1: 2 }).success).toBe(false);
    expect(RolloutJobSchema.safeParse({ ...job, e1: 5 }).success).toBe(false);
    expect(RolloutJobSchema.safeParse({ ...job, learner: 'rl2' }).success).toBe(false);
    expect(RolloutJobSchema.safeParse({ ...job, paramsKey: 'other:app:key' }).success).toBe(false);
    expect(
      RolloutJobSchema.safeParse({ ...job, spec: { ...spec, activation: 'eval' } }).success,
    ).toBe(false);
    expect(RolloutJobSchema.safeParse({ ...job, paramsIndex: 1 }).success).toBe(false);
  });

  it('round-trips parameters and episodes bit for bit (frames and non-finite returns included)', () => {
    const a = initParams(spec, new Rng(1));
    const b = initParams(spec, new Rng(2));
    const [a2, b2] = decodeParams(encodeParams([a, b]), 2, a.length);
    expect(Buffer.from(a2.buffer, a2.byteOffset, a2.byteLength).equals(Buffer.from(a.buffer))).toBe(
      true,
    );
    expect(Array.from(b2)).toEqual(Array.from(b));
    expect(() => decodeParams(encodeParams([a]), 2, a.length)).toThrow(/expected 2 × \d+ float32/);

    const family = resolveFamily('point-nav');
    const req = {
      familyId: 'point-nav',
      tasks: [{ goal: [0.3, -0.2] }],
      params: [a],
      spec,
      episodesPerTask: 3,
      seed: 5,
      recordFrames: true,
    };
    const eps = rolloutRange(family, req, 0, 3);
    eps[1].return = Number.NaN;
    const back = decodeEpisodes(encodeEpisodes(eps, 2, 2));
    expect(back).toHaveLength(3);
    back.forEach((e, i) => {
      expect(e.task).toBe(eps[i].task);
      expect(e.index).toBe(eps[i].index);
      expect(Object.is(e.return, eps[i].return)).toBe(true);
      expect(Array.from(e.obs)).toEqual(Array.from(eps[i].obs));
      expect(Array.from(e.actions)).toEqual(Array.from(eps[i].actions));
      expect(Array.from(e.rewards)).toEqual(Array.from(eps[i].rewards));
      expect(e.frames?.map((f) => Array.from(f))).toEqual(eps[i].frames?.map((f) => Array.from(f)));
    });
    expect(() => decodeEpisodes(Buffer.from('not episodes'))).toThrow(/not an episode record/);
  });
});

describe('Redis URLs and the sampler choice', () => {
  it('parses passwords and TLS, redacts them for display, and names what is wrong', () => {
    const t = parseRedisUrl('rediss://alice:p%40ss@redis.example:6380/2', {});
    expect(t.options).toMatchObject({
      host: 'redis.example',
      port: 6380,
      db: 2,
      username: 'alice',
      password: 'p@ss',
    });
    expect(t.options.tls).toMatchObject({ servername: 'redis.example' });
    expect(t.display).toBe('rediss://alice:***@redis.example:6380/2');
    expect(parseRedisUrl('redis://h', { METARL_REDIS_PASSWORD: 'envpw' }).options.password).toBe(
      'envpw',
    );
    expect(redactRedisUrl('redis://:pw@h:1')).toBe('redis://:***@h:1');
    expect(stripRedisPassword('redis://u:pw@h:1')).toEqual({
      url: 'redis://u@h:1',
      password: 'pw',
    });
    expect(() => parseRedisUrl('http://h:1')).toThrow(/must start with redis:\/\/ or rediss:\/\//);
    expect(() => parseRedisUrl('redis://h/99')).toThrow(/database must be an integer in \[0, 15\]/);
    expect(() => parseRedisUrl('nonsense')).toThrow(/is not a URL/);
  });

  it('run configs take local or a password-free Redis URL', () => {
    expect(SamplerChoiceSchema.safeParse('local').success).toBe(true);
    expect(SamplerChoiceSchema.safeParse('redis://10.0.0.5:6379').success).toBe(true);
    expect(() =>
      parseRunConfig({ family: 'point-nav', algo: 'maml', sampler: 'redis://u:pw@h:1' }),
    ).toThrow(/config\.sampler: must not hold a password .*METARL_REDIS_PASSWORD/);
    expect(() => parseRunConfig({ family: 'point-nav', algo: 'maml', sampler: 'ftp://h' })).toThrow(
      /config\.sampler: must be "local" or a URL starting with redis:\/\//,
    );
  });
});
