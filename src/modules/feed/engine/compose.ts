// One feed page: candidates from the sources the tab and the viewer allow, everything the viewer may not see
// dropped, each scored by the model (or the heuristic without one), then the re-ranking rules (rerank.ts).
import { featuresOf, heuristicScore, scoreCandidate, viewerProfile, EMPTY_PROFILE } from './ranker.ts';
import { rerank, type ScoredCandidate } from './rerank.ts';
import { excluded, gatherPageCandidates } from './sources.ts';
import type { Candidate, CatalogView, PageRequest, RankedItem, Viewer } from './types.ts';

/** Candidates each source brings, per page slot, and at least: room for the rules to skip some. */
const CANDIDATES_PER_SLOT = 4;
const MIN_CANDIDATES = 40;

export function composePage(req: PageRequest): RankedItem[] {
  const { viewer, catalog, now } = req;
  const size = Math.max(0, Math.floor(req.size));
  if (size === 0) return [];
  const profile = viewerProfile(viewer, catalog);
  const { merged, paid } = gatherPageCandidates(viewer, catalog, req.boosts, {
    tab: req.tab,
    now,
    limit: Math.max(MIN_CANDIDATES, size * CANDIDATES_PER_SLOT),
    profile,
  });
  // Organic candidates as merged, and every paid one (rerank places an item once, whichever takes it first).
  const candidates = [...merged.filter((c) => c.source !== 'boost'), ...paid];
  const scored: ScoredCandidate[] = [];
  for (const c of candidates) {
    const item = catalog.get(c.key);
    if (excluded(viewer, item) || (req.kinds && !req.kinds.includes(item!.kind))) continue;
    const features = featuresOf(viewer, item!, c, now, profile);
    scored.push({ c, item: item!, score: req.model ? scoreCandidate(req.model, features) : heuristicScore(features), features });
  }
  return rerank(scored, { size, tab: req.tab, viewer, random: req.random });
}

/**
 * The baseline the simulator and the bench compare against: the newest items the viewer may see, nothing ranked.
 * Reason 'newest'; the source is 'popular' (the catalogue-wide fallback), its features computed like a page's.
 */
export function newestFirstPage(catalog: CatalogView, viewer: Viewer, size: number, now = 0): RankedItem[] {
  const out: RankedItem[] = [];
  let n = Math.max(1, size);
  for (;;) {
    const items = catalog.newest(n);
    out.length = 0;
    for (const item of items) {
      if (out.length >= size) break;
      if (excluded(viewer, item)) continue;
      const c: Candidate = { key: item.key, source: 'popular', score: 1 };
      out.push({ key: item.key, source: 'popular', score: 0, reason: { kind: 'newest' }, promoted: false, explored: false, features: featuresOf(viewer, item, c, now, EMPTY_PROFILE) });
    }
    if (out.length >= size || items.length < n) return out;
    n *= 4;
  }
}
