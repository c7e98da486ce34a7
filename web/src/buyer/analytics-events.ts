// What the buyer app tells the shop's analytics (issue 18), beside what the server sees for itself (room entries,
// orders): product cards shown and tapped in a live room, product pages opened, and the app used on a day. Facts go
// to POST /analytics/events through the same batching as the short-video events (event-queue.ts); a viewer not
// signed in is counted by this device's id (X-Device-Id). Where a viewer came from travels with the links the app
// makes (?from=feed …), into the room's WebSocket URL, the product view and the order.
import { auth, storage } from '../shared/api.ts';
import { deviceId } from '../shared/device.ts';
import type { FeedItem, FeedTab, ShareTarget } from '../shared/types.ts';
import { EventQueue } from './event-queue.ts';
import { shareTokenFor } from './sharing.ts';

/** Where a viewer or buyer came from, as the analytics API names it (share and follow are private traffic). */
export const SOURCES = ['feed', 'follow', 'share', 'search', 'boost', 'profile', 'direct', 'embed'] as const;
export type Source = (typeof SOURCES)[number];

export interface AnalyticsFact {
  id: string;
  type: 'card_impression' | 'card_click' | 'product_view' | 'visit';
  sessionId?: string;
  productId?: string;
  skuId?: string;
  source?: Source;
  at?: string;
}

const FACT_TYPES: readonly string[] = ['card_impression', 'card_click', 'product_view', 'visit'];

export const analyticsEvents = new EventQueue<AnalyticsFact>({
  url: '/api/v1/analytics/events',
  storageKey: 'hawker.analytics.pending',
  // The endpoint takes 200; 100 facts stay well inside a keepalive request's 64 KiB.
  batch: 100,
  kept: (e): e is AnalyticsFact => !!e && typeof (e as AnalyticsFact).id === 'string' && FACT_TYPES.includes((e as AnalyticsFact).type),
  request(events) {
    const headers: Record<string, string> = auth.token ? { authorization: `Bearer ${auth.token}` } : { 'x-device-id': deviceId() };
    return { headers, body: { events } };
  },
});

/** `href` with where the page it opens is reached from: the page reads it back with arrivedFrom(). */
export function withSource(href: string, source: Source): string {
  return `${href}${href.includes('?') ? '&' : '?'}from=${source}`;
}

/**
 * Where the page showing `target` was reached from: the link that opened it says (?from=), else a share link of it
 * opened in this tab, else directly (a typed or bookmarked address, a link from outside the app).
 */
export function arrivedFrom(target: ShareTarget): Source {
  const from = new URLSearchParams(location.search).get('from') as Source | null;
  if (from && SOURCES.includes(from)) return from;
  return shareTokenFor(target) ? 'share' : 'direct';
}

/** A feed card's source: paid for (a boost), from someone followed (the 关注 tab, or so labelled), else the feed. */
export function feedSource(item: FeedItem, tab: FeedTab): Source {
  if (item.promoted) return 'boost';
  return tab === 'follow' || item.reason?.kind === 'follow' ? 'follow' : 'feed';
}

export function recordProductView(productId: string, source: Source) {
  analyticsEvents.record({ type: 'product_view', productId, source });
}

export interface RoomCard {
  /** The card's own id (a drop): shown again after a reconnect, it is the same card. */
  id: string;
  productId: string;
  skuId: string;
}

/**
 * One visit to a live room: each product card's impression is reported once, however often it is shown again —
 * once per viewer: who signs in in the room is a viewer of their own from then on (the funnel follows users).
 */
export class RoomCards {
  private shownCards = new Set<string>();

  constructor(private readonly sessionId: string) {}

  shown(card: RoomCard) {
    const key = `${auth.user?.id ?? ''}:${card.id}`;
    if (this.shownCards.has(key)) return;
    this.shownCards.add(key);
    analyticsEvents.record({ type: 'card_impression', sessionId: this.sessionId, productId: card.productId, skuId: card.skuId });
  }

  clicked(card: RoomCard) {
    analyticsEvents.record({ type: 'card_click', sessionId: this.sessionId, productId: card.productId, skuId: card.skuId });
  }
}

const VISIT_KEY = 'hawker.visit.';

/** The device's day, "2026-12-03". */
function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * The app is in use (daily and monthly active users, retention): one visit per day for whoever uses it, the
 * signed-in user or else this device. Called as the app starts and when the user changes; asked again on the
 * same day for the same user it records nothing.
 */
export function recordVisit() {
  // A stored sign-in not yet checked: the visit is the user's, recorded once GET /me has said who it is.
  if (auth.token && !auth.user) return;
  const actor = auth.user ? `u:${auth.user.id}` : `d:${deviceId()}`;
  const day = today();
  if (storage.read(VISIT_KEY + actor) === day) return;
  storage.write(VISIT_KEY + actor, day);
  analyticsEvents.record({ type: 'visit' });
}
