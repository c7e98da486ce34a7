// The admission counters of the drop engine: how many units a drop can still promise, and how many each
// buyer holds (for 限购). They answer in memory (one node) or in Redis (many nodes) without touching the
// database; the database stays the system of record and re-checks every batch (see group-commit.ts).

export type ReserveRefusal = 'sold_out' | 'insufficient_stock' | 'purchase_limit';
/** A refusal says whether this order key was seen before: a retry of a written order, to be answered with it. */
export type ReserveOutcome = { ok: true } | { ok: false; reason: ReserveRefusal; seenKey: boolean };

/** A drop's counters as the database knows them: what is left, the units each buyer already has, and the
 * buyer+Idempotency-Key of every order placed through it (so a retry after a sell-out still finds its order). */
export interface DropCounters {
  remaining: number;
  perBuyerLimit: number | null;
  unitsByBuyer: Map<string, number>;
  orderKeys: Set<string>;
}

/** How an order's buyer and Idempotency-Key are recorded in the counters. */
export const orderKey = (buyerId: string, idempotencyKey: string) => `${buyerId}\u0000${idempotencyKey}`;

export type LoadDropCounters = (dropId: string) => Promise<DropCounters>;

export interface DropReservations {
  /** Loads a drop's counters now (when it is pinned, or a node starts), so the first buyers do not wait for them. */
  warm(dropId: string): Promise<void>;
  /** Takes units for a buyer if the drop has them and the buyer's limit allows, recording the order's key. */
  reserve(dropId: string, buyerId: string, units: number, key: string): Promise<ReserveOutcome>;
  /** The order of a reservation was written, refused or failed: it is no longer in flight on this node. */
  settle(dropId: string, units: number): Promise<void>;
  /** Gives units back (an order was not written, or an unpaid order expired while the drop is on). */
  release(dropId: string, buyerId: string, units: number): Promise<void>;
  /** The drop ended: its counters are dropped (a late reservation reloads them and finds it ended). */
  forget(dropId: string): Promise<void>;
}

/** One node: plain numbers in memory, loaded from the database the first time a drop is seen. */
export class MemoryDropReservations implements DropReservations {
  private readonly drops = new Map<string, DropCounters>();
  private readonly loading = new Map<string, Promise<DropCounters>>();

  constructor(private readonly load: LoadDropCounters) {}

  private counters(dropId: string): DropCounters | Promise<DropCounters> {
    const known = this.drops.get(dropId);
    if (known) return known;
    let pending = this.loading.get(dropId);
    if (!pending) {
      pending = this.load(dropId).then(
        (c) => {
          this.drops.set(dropId, c);
          this.loading.delete(dropId);
          return c;
        },
        (err) => {
          this.loading.delete(dropId);
          throw err;
        },
      );
      this.loading.set(dropId, pending);
    }
    return pending;
  }

  async warm(dropId: string): Promise<void> {
    await this.counters(dropId);
  }

  async reserve(dropId: string, buyerId: string, units: number, key: string): Promise<ReserveOutcome> {
    const c = this.drops.get(dropId) ?? (await this.counters(dropId));
    const refusal = reserveIn(c, buyerId, units);
    if (refusal) return { ok: false, reason: refusal, seenKey: c.orderKeys.has(key) };
    c.orderKeys.add(key);
    return { ok: true };
  }

  async release(dropId: string, buyerId: string, units: number): Promise<void> {
    const c = this.drops.get(dropId);
    if (!c) return; // not loaded here: the next load reads the database, which already has the units back
    c.remaining += units;
    const held = (c.unitsByBuyer.get(buyerId) ?? 0) - units;
    if (held > 0) c.unitsByBuyer.set(buyerId, held);
    else c.unitsByBuyer.delete(buyerId);
  }

  async settle(): Promise<void> {
    // In one process nothing can be left in flight by a crash: a restart reloads from the database.
  }

  async forget(dropId: string): Promise<void> {
    this.drops.delete(dropId);
  }
}

/** The admission rule itself, synchronous so that no other request can interleave on one node: null when admitted. */
export function reserveIn(c: DropCounters, buyerId: string, units: number): ReserveRefusal | null {
  const mine = c.unitsByBuyer.get(buyerId) ?? 0;
  if (c.perBuyerLimit !== null && mine + units > c.perBuyerLimit) return 'purchase_limit';
  if (c.remaining < units) return c.remaining === 0 ? 'sold_out' : 'insufficient_stock';
  c.remaining -= units;
  c.unitsByBuyer.set(buyerId, mine + units);
  return null;
}
