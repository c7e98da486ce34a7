// Which paid boosts may take a slot for this viewer now: the viewer is in the campaign's audience, the boosted item
// can be served, and the campaign is not ahead of its schedule. Pacing spreads delivery over the campaign's hours
// instead of spending it on the first traffic: a campaign may deliver up to 5 % ahead of a straight line from
// startAt to endAt (plus a small allowance so that it can start), never more than bought, so that with enough
// traffic delivery ends within 5 % of bought by endAt.
import { servable } from './catalog.ts';
import type { BoostCampaign, CatalogView, Viewer } from './types.ts';

export const PACING_AHEAD = 1.05;
/** Impressions a campaign may be ahead of its line at any time: 0.5 % of bought, at least 1. */
export const pacingAllowance = (bought: number) => Math.max(1, Math.ceil(bought * 0.005));

const elapsed = (c: BoostCampaign, now: number) => (c.endAt <= c.startAt ? 1 : Math.min(1, Math.max(0, (now - c.startAt) / (c.endAt - c.startAt))));

/** How many impressions the campaign may have delivered by now. */
export function pacedTarget(c: BoostCampaign, now: number): number {
  return Math.min(c.bought, c.bought * elapsed(c, now) * PACING_AHEAD + pacingAllowance(c.bought));
}

/** How far behind its straight line the campaign is, as a share of bought: the most behind serves first. */
export const boostUrgency = (c: BoostCampaign, now: number) => (c.bought * elapsed(c, now) - c.delivered) / c.bought;

/** The viewer's interest topics: those of the items they acted on positively lately. */
function interestTopics(viewer: Viewer, catalog: CatalogView): Set<string> {
  const topics = new Set<string>();
  for (const h of viewer.history.slice(0, 100)) {
    if (h.action === 'skip' || h.action === 'hide') continue;
    for (const t of catalog.get(h.key)?.topics ?? []) topics.add(t);
  }
  return topics;
}

export function inAudience(viewer: Viewer, c: BoostCampaign, topicsOf: () => Set<string>): boolean {
  const a = c.audience;
  if (a.kind === 'all') return true;
  // A signed-out viewer is in no targeted audience: nothing is known about them.
  if (viewer.userId === null) return false;
  switch (a.kind) {
    case 'followers_friends':
      // The owner's followers and their friends (粉丝及其好友): the viewer follows the owner, or a friend of the
      // viewer does, or the owner is the viewer's friend.
      return viewer.follows.has(c.owner) || viewer.friendsFollow?.has(c.owner) === true || (c.owner.startsWith('user:') && viewer.friends.has(c.owner.slice(5)));
    case 'interest': {
      const mine = topicsOf();
      return a.topics.some((t) => mine.has(t));
    }
    case 'region':
      return viewer.region !== null && viewer.region === a.region;
  }
}

/** The campaigns that may take a paid slot for this viewer now, the most behind schedule first. */
export function eligibleBoosts(viewer: Viewer, catalog: CatalogView, boosts: readonly BoostCampaign[], now: number): BoostCampaign[] {
  let topics: Set<string> | null = null;
  const topicsOf = () => (topics ??= interestTopics(viewer, catalog));
  return boosts
    .filter(
      (c) =>
        c.bought > 0 &&
        now >= c.startAt &&
        now < c.endAt &&
        c.delivered < pacedTarget(c, now) &&
        servable(catalog.get(c.key)) &&
        inAudience(viewer, c, topicsOf),
    )
    .sort((a, b) => boostUrgency(b, now) - boostUrgency(a, now) || (a.id < b.id ? -1 : 1));
}
