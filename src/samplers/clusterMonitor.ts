// What the dashboard shows of a run's rollout workers: polls their heartbeat keys in Redis
// and reports the connected workers, their steps/s and failures whenever that changes.
import type { ClusterStatus } from '../shared/cluster';
import { connectRedis, parseRedisUrl } from './redisConnection';
import { listWorkers } from './redisSampler';

export interface ClusterMonitor {
  stop(): void;
}

export function watchCluster(
  url: string,
  onChange: (s: ClusterStatus) => void,
  periodMs = 1000,
): ClusterMonitor {
  const target = parseRedisUrl(url);
  const redis = connectRedis(target, 'metarl-trainer-monitor');
  let last = '';
  let stopped = false;
  const poll = async () => {
    let status: ClusterStatus;
    try {
      status = { url: target.display, connected: true, workers: await listWorkers(redis) };
    } catch {
      status = { url: target.display, connected: false, workers: [] };
    }
    // Heartbeat times change every poll; report when what a person sees changes.
    const key = JSON.stringify({
      ...status,
      workers: status.workers.map((w) => ({
        ...w,
        seenAt: 0,
        stepsPerSec: Math.round(w.stepsPerSec),
      })),
    });
    if (!stopped && key !== last) {
      last = key;
      onChange(status);
    }
  };
  const timer = setInterval(() => void poll(), periodMs);
  void poll();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      redis.disconnect();
    },
  };
}
