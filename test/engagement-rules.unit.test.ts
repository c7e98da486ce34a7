// The engagement rules with no I/O: which events are malformed for their type, when an event is dated, who the
// viewer is, a video's figures from its counts, and the dedupe window's two generations.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RecentIds } from '../src/modules/engagement/ingest.ts';
import { eventProblem, eventTime, videoFigures, viewerKey, type EngagementEventInput, type VideoCounts } from '../src/modules/engagement/rules.ts';

const base = { id: 'ev_12345678', videoId: 'vid_1' };

describe('an event for its type', () => {
  it('accepts each type with exactly its own fields', () => {
    const good: EngagementEventInput[] = [
      { ...base, type: 'impression', source: 'feed' },
      { ...base, type: 'impression' },
      { ...base, type: 'play', source: 'share' },
      { ...base, type: 'progress', progress: 75 },
      { ...base, type: 'complete' },
      { ...base, type: 'replay' },
      { ...base, type: 'watch', watchedMs: 0 },
      { ...base, type: 'card_impression', skuId: 'sku_1' },
      { ...base, type: 'card_click', skuId: 'sku_1' },
    ];
    for (const e of good) assert.equal(eventProblem(e), null, JSON.stringify(e));
  });

  it("refuses a field that belongs to another type, or a type's field missing, naming the event", () => {
    const bad: EngagementEventInput[] = [
      { ...base, type: 'complete', source: 'feed' },
      { ...base, type: 'progress' },
      { ...base, type: 'play', progress: 25 },
      { ...base, type: 'watch' },
      { ...base, type: 'complete', watchedMs: 10 },
      { ...base, type: 'card_click' },
      { ...base, type: 'play', skuId: 'sku_1' },
    ];
    for (const e of bad) assert.match(eventProblem(e) ?? '', /^event ev_12345678: /, JSON.stringify(e));
  });
});

describe('when an event happened', () => {
  const now = Date.parse('2026-12-03T04:00:00Z');
  it("takes the device's time when it is believable, else the server's", () => {
    assert.equal(eventTime(undefined, now), now);
    assert.equal(eventTime('2026-12-03T03:59:00Z', now), now - 60_000);
    assert.equal(eventTime('2026-12-03T04:04:00Z', now), now + 240_000, 'a device a few minutes ahead is believed');
    assert.equal(eventTime('2026-12-03T04:06:00Z', now), now, 'more than 5 minutes ahead is not');
    assert.equal(eventTime('2026-11-25T04:00:00Z', now), now, 'more than 7 days old is not');
  });
});

describe('the viewer', () => {
  it('is the user when signed in, else the device, else nobody', () => {
    assert.equal(viewerKey('usr_1', 'device-1'), 'usr_1');
    assert.equal(viewerKey(null, 'device-1'), 'd:device-1');
    assert.equal(viewerKey(null, undefined), null);
  });
});

describe("a video's figures", () => {
  const zero: VideoCounts = { impressions: 0, views: 0, uniqueViewers: 0, watchedMs: 0, completes: 0, likes: 0, comments: 0, shares: 0, productImpressions: 0, productClicks: 0, orders: 0, paidOrders: 0, gmv: 0 };

  it('are ratios over the views, 0 without views', () => {
    const { watchedMs: _w, completes: _c, ...counts } = zero;
    assert.deepEqual(videoFigures(zero), { ...counts, avgWatchSeconds: 0, completionRate: 0, interactionRate: 0 });
    const f = videoFigures({ ...zero, views: 3, watchedMs: 10_000, completes: 1, likes: 1, comments: 1, shares: 0 });
    assert.equal(f.avgWatchSeconds, 3.3);
    assert.equal(f.completionRate, 0.3333);
    assert.equal(f.interactionRate, 0.6667);
  });

  it('rates stay within 0..(count / views) rounded, whatever the counts', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(10_000), fc.nat(100_000_000), (views, completes, watchedMs) => {
        const f = videoFigures({ ...zero, views, completes, watchedMs });
        if (views === 0) return f.completionRate === 0 && f.avgWatchSeconds === 0;
        return Math.abs(f.completionRate - completes / views) <= 0.00005 + 1e-12 && Math.abs(f.avgWatchSeconds - watchedMs / 1000 / views) <= 0.05 + 1e-9;
      }),
    );
  });
});

describe('the dedupe window', () => {
  it('remembers at least one generation of ids, and forgets the generation before', () => {
    const recent = new RecentIds(3);
    for (const id of ['a', 'b', 'c']) recent.add(id);
    recent.add('d');
    assert.ok(['a', 'b', 'c', 'd'].every((id) => recent.has(id)), 'the full generation is kept while the next fills');
    for (const id of ['e', 'f', 'g']) recent.add(id);
    assert.ok(!recent.has('a'), 'two generations on, an id is forgotten');
    assert.ok(['d', 'e', 'f', 'g'].every((id) => recent.has(id)));
    recent.delete('e');
    assert.ok(!recent.has('e'), 'an id whose write failed is forgotten at once');
  });
});
