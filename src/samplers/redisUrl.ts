// Redis URLs of the rollout queue, for trainers and workers alike (no client here, so the
// CLI can check a URL without loading one).
// `redis://[user[:password]@]host[:port][/db]`, or `rediss://` for TLS (certificates checked
// against the system's CAs, or the PEM file named by METARL_REDIS_CA). A password may also
// come from METARL_REDIS_PASSWORD, which keeps it out of run configs and process lists.
import fs from 'node:fs';
import type { RedisOptions } from 'ioredis';

export interface RedisTarget {
  /** The URL without its password: safe to print and to store. */
  display: string;
  options: RedisOptions;
}

/** Parse and check a Redis URL; the error names what is wrong. */
export function parseRedisUrl(url: string, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(
      `Redis URL "${url}" is not a URL: expected redis://host:port or rediss://user:password@host:port`,
    );
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`Redis URL must start with redis:// or rediss:// (TLS), got "${u.protocol}//"`);
  }
  if (!u.hostname) throw new Error(`Redis URL "${redactRedisUrl(url)}" names no host`);
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0 || db > 15)
    throw new Error(`Redis URL database must be an integer in [0, 15], got "${dbText}"`);
  const password = u.password
    ? decodeURIComponent(u.password)
    : env.METARL_REDIS_PASSWORD || undefined;
  const options: RedisOptions = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(password ? { password } : {}),
    // BullMQ's blocking commands must wait through a reconnect instead of failing.
    maxRetriesPerRequest: null,
  };
  if (u.protocol === 'rediss:') {
    const caFile = env.METARL_REDIS_CA;
    options.tls = { servername: options.host, ...(caFile ? { ca: fs.readFileSync(caFile) } : {}) };
  }
  return { display: redactRedisUrl(url), options };
}

/** The URL with any password replaced by `***`. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}

/** The URL without its password (for configs): the password then comes from METARL_REDIS_PASSWORD. */
export function stripRedisPassword(url: string): { url: string; password: string | null } {
  const u = new URL(url);
  const password = u.password ? decodeURIComponent(u.password) : null;
  u.password = '';
  return { url: u.toString().replace(/\/$/, ''), password };
}
