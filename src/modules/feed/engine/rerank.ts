// The re-ranking pass: from scored candidates to a page, slot by slot, under rules that hold whatever the scores say.
// - Nothing the viewer may not see reaches here (compose.ts filters), and a page has each item once.
// - At most MAX_RUN in a row from one creator; when no candidate left can keep that, the page ends short.
// - Paid slots: at most one in any PAID_WINDOW consecutive positions, never the first two slots nor the last three
//   (so the cap holds across a session's full pages too), labelled promoted.
// - The new-creator pools get FRESH_SHARE of the slots (one in ten, at the 5th of every ten positions), so a new
//   creator's first item gets its impression budget whatever its score.
// - Tab 'all': a friend's act, if there is one, is in the first two slots (private traffic first).
// - Every other slot is, with probability EXPLORE_RATE, a random trending or pooled candidate instead of the best.
import type { Candidate, CatalogItem, FeedTab, RankedItem, Reason, Viewer } from './types.ts';

export const MAX_RUN = 2;
export const PAID_WINDOW = 5;
/** The first position a paid slot may take (0-based): a page does not open with an ad. */
export const FIRST_PAID_SLOT = 2;
export const FRESH_SHARE = 0.1;
export const EXPLORE_RATE = 0.1;

export interface ScoredCandidate {
  c: Candidate;
  item: CatalogItem;
  score: number;
  features: number[];
}

/** Why the item is here, for its card. Friends: the commonest act, all friends counted, names of those who allow it. */
export function reasonOf(c: Candidate, viewer: Viewer): Reason {
  switch (c.source) {
    case 'friend': {
      const signals = c.friends ?? [];
      const byAction = new Map<string, Set<string>>();
      for (const s of signals) {
        let set = byAction.get(s.action);
        if (!set) byAction.set(s.action, (set = new Set()));
        set.add(s.friendId);
      }
      const order = ['order', 'share', 'like', 'watch'] as const;
      let action: (typeof order)[number] = 'like';
      let most = -1;
      for (const a of order) {
        const n = byAction.get(a)?.size ?? 0;
        if (n > most) {
          most = n;
          action = a;
        }
      }
      const named = new Map<string, string>();
      for (const s of signals) if (s.name !== null && !named.has(s.friendId)) named.set(s.friendId, s.name);
      const names = [...named]
        .sort((a, b) => (viewer.friends.get(b[0]) ?? 0) - (viewer.friends.get(a[0]) ?? 0) || (a[0] < b[0] ? -1 : 1))
        .slice(0, 3)
        .map(([, name]) => name);
      return { kind: 'friends', action, count: new Set(signals.map((s) => s.friendId)).size, names };
    }
    case 'follow':
      return { kind: 'follow' };
    case 'live':
      return { kind: 'live' };
    case 'similar':
      return { kind: 'similar' };
    case 'trending':
      return { kind: 'trending' };
    case 'fresh':
      return { kind: 'new_creator' };
    case 'boost':
      return { kind: 'promoted' };
    case 'popular':
      return { kind: 'popular' };
  }
}

/**
 * The positions reserved for the pools: the 5th of every full ten, and in a last partial run of r positions one
 * more with probability r/10 — so the share is one in ten on average for any page size.
 */
export function freshSlots(size: number, random: () => number): Set<number> {
  const slots = new Set<number>();
  const tens = Math.floor(size / 10);
  for (let t = 0; t < tens; t++) slots.add(t * 10 + 4);
  const rest = size - tens * 10;
  if (rest > 0 && random() < rest * FRESH_SHARE) slots.add(tens * 10 + Math.min(4, rest - 1));
  return slots;
}

export interface RerankOptions {
  size: number;
  tab: FeedTab;
  viewer: Viewer;
  random: () => number;
}

export function rerank(scored: readonly ScoredCandidate[], opts: RerankOptions): RankedItem[] {
  const byScore = [...scored].sort((a, b) => b.score - a.score || (a.c.key < b.c.key ? -1 : 1));
  const organic = byScore.filter((s) => s.c.source !== 'boost');
  const paid = byScore.filter((s) => s.c.source === 'boost').sort((a, b) => b.c.score - a.c.score || (a.c.key < b.c.key ? -1 : 1));
  const pooled = organic.filter((s) => s.c.source === 'fresh').sort((a, b) => b.c.score - a.c.score || (a.c.key < b.c.key ? -1 : 1));
  const friends = organic.filter((s) => s.c.source === 'friend');
  const explorable = organic.filter((s) => s.c.source === 'trending' || s.c.source === 'fresh');
  const reserved = freshSlots(opts.size, opts.random);

  const page: RankedItem[] = [];
  const creators: string[] = [];
  const placed = new Set<string>();
  let lastPaid = -Infinity;

  const fits = (s: ScoredCandidate) => {
    if (placed.has(s.c.key)) return false;
    const n = creators.length;
    return !(n >= MAX_RUN && creators.slice(n - MAX_RUN).every((c) => c === s.item.creator));
  };
  const first = (list: readonly ScoredCandidate[]) => list.find(fits);
  const place = (s: ScoredCandidate, explored: boolean) => {
    const promoted = s.c.source === 'boost';
    page.push({
      key: s.c.key,
      source: s.c.source,
      score: s.score,
      reason: reasonOf(s.c, opts.viewer),
      promoted,
      ...(s.c.boostId !== undefined ? { boostId: s.c.boostId } : {}),
      explored,
      features: s.features,
    });
    creators.push(s.item.creator);
    placed.add(s.c.key);
    if (promoted) lastPaid = page.length - 1;
  };

  while (page.length < opts.size) {
    const p = page.length;
    // The last paid slot stays PAID_WINDOW − FIRST_PAID_SLOT from the page's end, so that the cap also holds
    // across two pages of one session.
    if (p >= FIRST_PAID_SLOT && p - lastPaid >= PAID_WINDOW && p + PAID_WINDOW - FIRST_PAID_SLOT <= opts.size) {
      const ad = first(paid);
      if (ad) {
        place(ad, false);
        continue;
      }
    }
    if (opts.tab === 'all' && p === 1 && !page.some((r) => r.source === 'friend')) {
      const friend = first(friends);
      if (friend) {
        place(friend, false);
        continue;
      }
    }
    if (reserved.has(p)) {
      const fresh = first(pooled);
      if (fresh) {
        place(fresh, false);
        continue;
      }
    }
    if (explorable.length > 0 && opts.random() < EXPLORE_RATE) {
      const start = Math.floor(opts.random() * explorable.length);
      let pick: ScoredCandidate | undefined;
      for (let i = 0; i < explorable.length && !pick; i++) {
        const s = explorable[(start + i) % explorable.length];
        if (fits(s)) pick = s;
      }
      if (pick) {
        place(pick, true);
        continue;
      }
    }
    const best = first(organic);
    if (!best) break;
    place(best, false);
  }
  return page;
}
