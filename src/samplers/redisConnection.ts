// Connections to the Redis that carries rollout jobs, for trainers and workers alike.
import { Redis } from 'ioredis';
import type { RedisTarget } from './redisUrl';

export { parseRedisUrl, redactRedisUrl, stripRedisPassword, type RedisTarget } from './redisUrl';

/** A client that reconnects forever with a capped backoff (callers decide how long to wait). */
export function connectRedis(
  target: RedisTarget,
  name: string,
  onError?: (err: Error) => void,
): Redis {
  const client = new Redis({
    ...target.options,
    connectionName: name,
    retryStrategy: (times) => Math.min(100 * times, 1000),
  });
  // Without a listener ioredis prints every failed reconnection; owners report what matters.
  client.on('error', (err: Error) => onError?.(err));
  return client;
}
