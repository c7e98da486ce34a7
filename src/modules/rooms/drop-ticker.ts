// The drop card and the "X just bought" ticker of a live room. The drop engine tells the ticker of every
// order it acknowledged and every drop pinned or ended; the ticker tells the room at most every TICK_MS,
// reading each changed drop once per tick — not one message and one query per order in a flash sale.
import type { Db } from '../../adapters/db/index.ts';
import type { Jobs } from '../../platform/jobs.ts';
import { dropsWithSku, type DropListener, type DropOrdered } from '../drops/service.ts';
import { dropView } from '../drops/views.ts';
import type { LiveRoomHub } from './hub.ts';

const TICK_MS = 200;
/** Purchases shown per room per tick: the latest few; the drop's `remaining` carries the rest. */
const PURCHASES_PER_TICK = 3;

export class RoomDropTicker implements DropListener {
  /** Drops whose card changed, in the order they changed (an ended drop before the one pinned after it). */
  private changed = new Set<string>();
  private purchases = new Map<string, DropOrdered[]>();

  constructor(
    private readonly db: Db,
    private readonly hub: LiveRoomHub,
    jobs: Jobs,
  ) {
    jobs.every('room-drop-ticker', TICK_MS, () => this.tick());
  }

  dropChanged(dropId: string): void {
    this.changed.add(dropId);
  }

  dropOrdered(order: DropOrdered): void {
    let latest = this.purchases.get(order.liveSessionId);
    if (!latest) this.purchases.set(order.liveSessionId, (latest = []));
    latest.push(order);
    if (latest.length > PURCHASES_PER_TICK) latest.shift();
    this.changed.add(order.dropId);
  }

  async tick(): Promise<void> {
    if (this.changed.size === 0) return;
    const ids = [...this.changed];
    const purchases = this.purchases;
    this.changed = new Set();
    this.purchases = new Map();
    for (const [sessionId, latest] of purchases) {
      for (const p of latest) this.hub.publish(sessionId, { type: 'purchase', handle: p.handle, quantity: p.quantity });
    }
    const rows = await dropsWithSku(this.db).where('d.id', 'in', ids).execute();
    rows.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
    for (const row of rows) this.hub.publish(row.live_session_id, { type: 'drop', drop: dropView(row) });
  }
}
