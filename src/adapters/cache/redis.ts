import type { Redis } from 'ioredis';
import type { WindowCounters } from './counters.ts';

/** A Redis connection for shared counters; commands wait (bounded) while it reconnects. */
export async function openRedis(url: string): Promise<Redis> {
  // The client is loaded only when REDIS_URL is set: a start is shorter without it.
  const { Redis: Client } = await import('ioredis');
  const redis = new Client(url, { maxRetriesPerRequest: 3, enableAutoPipelining: true, lazyConnect: true });
  await redis.connect();
  return redis;
}

/** Rate-limit windows shared by every node. */
export class RedisWindowCounters implements WindowCounters {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'hawker:rl:',
  ) {}

  async hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }> {
    const k = this.prefix + key;
    const [[, count], [, ttl]] = (await this.redis.multi().incr(k).pttl(k).exec()) as [[null, number], [null, number]];
    if (ttl < 0) {
      await this.redis.pexpire(k, windowMs);
      return { count, resetInMs: windowMs };
    }
    return { count, resetInMs: ttl };
  }
}
