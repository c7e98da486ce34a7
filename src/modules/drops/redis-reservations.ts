import type { Redis } from 'ioredis';
import type { DropReservations, LoadDropCounters, ReserveOutcome } from './reservations.ts';

// KEYS[1] remaining, KEYS[2] units by buyer, KEYS[3] per-buyer limit; ARGV buyer, units.
// Answers -10 when the counters are missing (never loaded, Redis restarted or flushed): the caller reloads.
const RESERVE = `
local rem = redis.call('GET', KEYS[1])
if not rem then return -10 end
rem = tonumber(rem)
local units = tonumber(ARGV[2])
local limit = tonumber(redis.call('GET', KEYS[3]) or '0')
local mine = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if limit > 0 and mine + units > limit then return -3 end
if rem < units then
  if rem <= 0 then return -1 end
  return -2
end
redis.call('DECRBY', KEYS[1], units)
redis.call('HINCRBY', KEYS[2], ARGV[1], units)
return rem - units
`;

// Gives units back only to counters that exist: after a flush the reload reads the database instead.
const RELEASE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('INCRBY', KEYS[1], ARGV[2])
local left = redis.call('HINCRBY', KEYS[2], ARGV[1], -tonumber(ARGV[2]))
if left <= 0 then redis.call('HDEL', KEYS[2], ARGV[1]) end
return 1
`;

// Installs counters loaded from the database unless another node did first. ARGV: remaining, limit, then buyer/units pairs.
const INSTALL = `
if redis.call('SETNX', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[3], ARGV[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1
`;

type Scripted = Redis & {
  dropReserve(k1: string, k2: string, k3: string, buyer: string, units: number): Promise<number>;
  dropRelease(k1: string, k2: string, buyer: string, units: number): Promise<number>;
  dropInstall(k1: string, k2: string, k3: string, ...args: (string | number)[]): Promise<number>;
};

/** Many nodes: the counters live in Redis and every admission is one atomic script. */
export class RedisDropReservations implements DropReservations {
  private readonly redis: Scripted;

  constructor(
    redis: Redis,
    private readonly load: LoadDropCounters,
    private readonly prefix = 'hawker:drop:',
  ) {
    redis.defineCommand('dropReserve', { numberOfKeys: 3, lua: RESERVE });
    redis.defineCommand('dropRelease', { numberOfKeys: 2, lua: RELEASE });
    redis.defineCommand('dropInstall', { numberOfKeys: 3, lua: INSTALL });
    this.redis = redis as Scripted;
  }

  private keys(dropId: string): [string, string, string] {
    const base = `${this.prefix}{${dropId}}`;
    return [`${base}:remaining`, `${base}:buyers`, `${base}:limit`];
  }

  async reserve(dropId: string, buyerId: string, units: number): Promise<ReserveOutcome> {
    const [rem, buyers, limit] = this.keys(dropId);
    let answer = await this.redis.dropReserve(rem, buyers, limit, buyerId, units);
    if (answer === -10) {
      await this.install(dropId);
      answer = await this.redis.dropReserve(rem, buyers, limit, buyerId, units);
    }
    if (answer >= 0) return { ok: true };
    if (answer === -3) return { ok: false, reason: 'purchase_limit' };
    if (answer === -2) return { ok: false, reason: 'insufficient_stock' };
    return { ok: false, reason: 'sold_out' };
  }

  /** Rebuilds a drop's counters from the database (the system of record). */
  private async install(dropId: string): Promise<void> {
    const c = await this.load(dropId);
    const pairs = [...c.unitsByBuyer].flatMap(([buyer, units]) => [buyer, units]);
    await this.redis.dropInstall(...this.keys(dropId), c.remaining, c.perBuyerLimit ?? 0, ...pairs);
  }

  async release(dropId: string, buyerId: string, units: number): Promise<void> {
    const [rem, buyers] = this.keys(dropId);
    await this.redis.dropRelease(rem, buyers, buyerId, units);
  }

  async unitsOf(dropId: string, buyerId: string): Promise<number> {
    const [, buyers] = this.keys(dropId);
    return Number((await this.redis.hget(buyers, buyerId)) ?? 0);
  }

  async forget(dropId: string): Promise<void> {
    await this.redis.del(...this.keys(dropId));
  }
}
