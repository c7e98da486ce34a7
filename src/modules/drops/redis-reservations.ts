import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DropReservations, LoadDropCounters, ReserveOutcome } from './reservations.ts';

// Keys of one drop: remaining units, units by buyer, the per-buyer limit, and units in flight by node
// (reserved but not yet written), so that a node that dies mid-batch does not take units with it.

// KEYS remaining, buyers, limit, inflight, order keys; ARGV node, then buyer, units, order key for each
// reservation of a batch (every reservation a node asked for while its previous batch was out).
// Answers one number per reservation, in order: the units left when admitted; a refusal is -1 sold out,
// -2 not enough, -3 over the buyer's limit, minus 10 when the order key was seen before (a retry). A single
// -100 when the counters are missing (never loaded, Redis restarted or flushed): the caller reloads them.
const RESERVE = `
local rem = redis.call('GET', KEYS[1])
if not rem then return {-100} end
rem = tonumber(rem)
local limit = tonumber(redis.call('GET', KEYS[3]) or '0')
local taken = 0
local out = {}
for i = 2, #ARGV, 3 do
  local buyer = ARGV[i]
  local units = tonumber(ARGV[i + 1])
  local mine = tonumber(redis.call('HGET', KEYS[2], buyer) or '0')
  local refusal = 0
  if limit > 0 and mine + units > limit then refusal = -3
  elseif rem < units then
    if rem <= 0 then refusal = -1 else refusal = -2 end
  end
  if refusal < 0 then
    if redis.call('SISMEMBER', KEYS[5], ARGV[i + 2]) == 1 then refusal = refusal - 10 end
    out[#out + 1] = refusal
  else
    rem = rem - units
    taken = taken + units
    redis.call('HINCRBY', KEYS[2], buyer, units)
    redis.call('SADD', KEYS[5], ARGV[i + 2])
    out[#out + 1] = rem
  end
end
if taken > 0 then
  redis.call('DECRBY', KEYS[1], taken)
  redis.call('HINCRBY', KEYS[4], ARGV[1], taken)
end
return out
`;

// KEYS remaining, buyers; ARGV buyer, units. Only counters that exist take units back: after a flush the
// reload reads the database, which already has them.
const RELEASE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('INCRBY', KEYS[1], ARGV[2])
local left = redis.call('HINCRBY', KEYS[2], ARGV[1], -tonumber(ARGV[2]))
if left <= 0 then redis.call('HDEL', KEYS[2], ARGV[1]) end
return 1
`;

// KEYS inflight; ARGV node, units.
const SETTLE = `
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -tonumber(ARGV[2]))
if left <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return left
`;

// KEYS remaining, inflight; ARGV node. Gives a dead node's in-flight units back to the drop.
const RECLAIM = `
local units = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
redis.call('HDEL', KEYS[2], ARGV[1])
if units > 0 and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCRBY', KEYS[1], units) end
return units
`;

// KEYS remaining, buyers, limit, inflight, active set, order keys; ARGV drop id, remaining, limit, number of
// buyer/units pairs, the pairs, then the order keys. Installs counters loaded from the database unless another node did first.
const INSTALL = `
if redis.call('SETNX', KEYS[1], ARGV[2]) == 0 then return 0 end
redis.call('DEL', KEYS[2], KEYS[4], KEYS[6])
redis.call('SET', KEYS[3], ARGV[3])
local pairsEnd = 4 + 2 * tonumber(ARGV[4])
for i = 5, pairsEnd, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
for i = pairsEnd + 1, #ARGV do redis.call('SADD', KEYS[6], ARGV[i]) end
redis.call('SADD', KEYS[5], ARGV[1])
return 1
`;

type Scripted = Redis & {
  dropReserve(rem: string, buyers: string, limit: string, inflight: string, keys: string, node: string, ...reservations: (string | number)[]): Promise<number[]>;
  dropRelease(rem: string, buyers: string, buyer: string, units: number): Promise<number>;
  dropSettle(inflight: string, node: string, units: number): Promise<number>;
  dropReclaim(rem: string, inflight: string, node: string): Promise<number>;
  dropInstall(...args: (string | number)[]): Promise<number>;
};

interface ReserveBatch {
  busy: boolean;
  queue: { buyerId: string; units: number; key: string; resolve(o: ReserveOutcome): void; reject(err: unknown): void }[];
}

interface SettleBatch {
  busy: boolean;
  units: number;
  waiting: { resolve(): void; reject(err: unknown): void }[];
}

/** A script's arguments stay well under Lua's stack limit (unpack is not used, but keep each call short). */
const MAX_RESERVATIONS_PER_SCRIPT = 500;

function outcomeOf(answer: number): ReserveOutcome {
  if (answer >= 0) return { ok: true };
  const seenKey = answer <= -10;
  const code = seenKey ? answer + 10 : answer;
  return { ok: false, seenKey, reason: code === -3 ? 'purchase_limit' : code === -2 ? 'insufficient_stock' : 'sold_out' };
}

const HEARTBEAT_MS = 1000;
const NODE_TTL_MS = 3000;

/** Many nodes: the counters live in Redis and every admission is one atomic script. */
export class RedisDropReservations implements DropReservations {
  private readonly redis: Scripted;
  readonly nodeId = randomBytes(8).toString('hex');
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly reserving = new Map<string, ReserveBatch>();
  private readonly settling = new Map<string, SettleBatch>();

  constructor(
    shared: Redis,
    private readonly load: LoadDropCounters,
    private readonly prefix = 'hawker:',
  ) {
    // A connection of its own, without auto-pipelining: ioredis sends a script inside an auto-pipeline as a full
    // EVAL with its source every time (it cannot tell the pipeline's connection already has it), which under a
    // rush costs more than the reservations themselves. Here each script goes as EVALSHA, and the reservations
    // asked for while one script is out already travel together (see reserve).
    const redis = shared.duplicate({ enableAutoPipelining: false });
    redis.defineCommand('dropReserve', { numberOfKeys: 5, lua: RESERVE });
    redis.defineCommand('dropRelease', { numberOfKeys: 2, lua: RELEASE });
    redis.defineCommand('dropSettle', { numberOfKeys: 1, lua: SETTLE });
    redis.defineCommand('dropReclaim', { numberOfKeys: 2, lua: RECLAIM });
    redis.defineCommand('dropInstall', { numberOfKeys: 6, lua: INSTALL });
    this.redis = redis as Scripted;
  }

  private keys(dropId: string) {
    const base = `${this.prefix}drop:{${dropId}}`;
    return { rem: `${base}:remaining`, buyers: `${base}:buyers`, limit: `${base}:limit`, inflight: `${base}:inflight`, keys: `${base}:keys` };
  }

  private readonly activeSet = () => `${this.prefix}drops`;
  private readonly nodeKey = (node: string) => `${this.prefix}node:${node}`;

  /** Announces this node alive; other nodes reclaim the in-flight units of a node that stops announcing. */
  async start(): Promise<void> {
    const beat = () => this.redis.set(this.nodeKey(this.nodeId), '1', 'PX', NODE_TTL_MS);
    await beat();
    this.heartbeat = setInterval(() => void beat().catch(() => undefined), HEARTBEAT_MS);
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.redis.del(this.nodeKey(this.nodeId)).catch(() => undefined);
    this.redis.disconnect();
  }

  /**
   * One script per drop carries every reservation asked for while the previous one was out: under a rush a
   * node makes a few hundred round trips a second to Redis, not one per buyer, and Redis runs one script for many.
   */
  reserve(dropId: string, buyerId: string, units: number, key: string): Promise<ReserveOutcome> {
    return new Promise((resolve, reject) => {
      let batch = this.reserving.get(dropId);
      if (!batch) this.reserving.set(dropId, (batch = { busy: false, queue: [] }));
      batch.queue.push({ buyerId, units, key, resolve, reject });
      if (!batch.busy) void this.sendReservations(dropId, batch);
    });
  }

  private async sendReservations(dropId: string, batch: ReserveBatch): Promise<void> {
    batch.busy = true;
    while (batch.queue.length > 0) {
      const asked = batch.queue.splice(0, MAX_RESERVATIONS_PER_SCRIPT);
      try {
        const k = this.keys(dropId);
        const args = asked.flatMap((r) => [r.buyerId, r.units, r.key]);
        const attempt = () => this.redis.dropReserve(k.rem, k.buyers, k.limit, k.inflight, k.keys, this.nodeId, ...args);
        let answers = await attempt();
        for (let tries = 0; answers[0] === -100; tries++) {
          if (tries === 3) throw new Error(`the counters of drop ${dropId} vanish as soon as they are installed`);
          await this.install(dropId);
          answers = await attempt();
        }
        asked.forEach((r, i) => r.resolve(outcomeOf(answers[i])));
      } catch (err) {
        for (const r of asked) r.reject(err);
      }
    }
    batch.busy = false;
    if (this.reserving.get(dropId) === batch) this.reserving.delete(dropId);
  }

  async warm(dropId: string): Promise<void> {
    if (!(await this.redis.exists(this.keys(dropId).rem))) await this.install(dropId);
  }

  /** Rebuilds a drop's counters from the database (the system of record). */
  private async install(dropId: string): Promise<void> {
    const c = await this.load(dropId);
    const k = this.keys(dropId);
    const pairs = [...c.unitsByBuyer].flatMap(([buyer, units]) => [buyer, units]);
    await this.redis.dropInstall(
      k.rem, k.buyers, k.limit, k.inflight, this.activeSet(), k.keys,
      dropId, c.remaining, c.perBuyerLimit ?? 0, c.unitsByBuyer.size, ...pairs, ...c.orderKeys,
    );
  }

  /** The units of a whole written batch settle in one call: the settles asked for while one is out go together. */
  settle(dropId: string, units: number): Promise<void> {
    let s = this.settling.get(dropId);
    if (!s) this.settling.set(dropId, (s = { busy: false, units: 0, waiting: [] }));
    const pending = s;
    pending.units += units;
    const done = new Promise<void>((resolve, reject) => pending.waiting.push({ resolve, reject }));
    if (!pending.busy) void this.sendSettles(dropId, pending);
    return done;
  }

  private async sendSettles(dropId: string, s: SettleBatch): Promise<void> {
    s.busy = true;
    while (s.waiting.length > 0) {
      const { units, waiting } = s;
      s.units = 0;
      s.waiting = [];
      try {
        await this.redis.dropSettle(this.keys(dropId).inflight, this.nodeId, units);
        for (const w of waiting) w.resolve();
      } catch (err) {
        for (const w of waiting) w.reject(err);
      }
    }
    s.busy = false;
    if (this.settling.get(dropId) === s) this.settling.delete(dropId);
  }

  async release(dropId: string, buyerId: string, units: number): Promise<void> {
    const k = this.keys(dropId);
    await this.redis.dropRelease(k.rem, k.buyers, buyerId, units);
  }

  async forget(dropId: string): Promise<void> {
    const k = this.keys(dropId);
    await this.redis.del(k.rem, k.buyers, k.limit, k.inflight, k.keys);
    await this.redis.srem(this.activeSet(), dropId);
  }

  /** Gives back units that dead nodes reserved but never wrote. Answers how many came back. */
  async reclaimFromDeadNodes(): Promise<number> {
    let reclaimed = 0;
    for (const dropId of await this.redis.smembers(this.activeSet())) {
      const k = this.keys(dropId);
      for (const node of Object.keys(await this.redis.hgetall(k.inflight))) {
        if (node === this.nodeId || (await this.redis.exists(this.nodeKey(node)))) continue;
        reclaimed += await this.redis.dropReclaim(k.rem, k.inflight, node);
      }
    }
    return reclaimed;
  }
}
