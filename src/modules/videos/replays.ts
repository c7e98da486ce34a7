// Replays as videos: once a live session has ended, its replay (the HLS the media engine already wrote) becomes a
// video of its own — referenced, not transcoded again — with each drop's moment in it as a product pin.
import type { AppContext } from '../../platform/context.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { Media } from '../media/service.ts';

/** Sessions ended longer ago than this are not looked at again (their replay was made, or there is none here). */
const LOOK_BACK_MS = 3600_000;
/** The remuxer writes the last segment after the encoder is cut off: the replay is read this long after the end. */
const SETTLE_MS = 3000;
/** Pins a replay keeps (video_products.position is 0–49). */
const MAX_PINS = 50;

/**
 * Makes the replay video of every session that ended in the last hour (a few seconds ago at least, its publishes
 * all stopped), has been published, and has none yet.
 * Only the node holding a session's segments finds its replay; the others skip it. Answers how many it made.
 */
export async function makeReplayVideos(ctx: AppContext, media: Media): Promise<number> {
  const since = new Date(ctx.clock.nowMs() - LOOK_BACK_MS);
  const sessions = await ctx.db
    .selectFrom('live_sessions as l')
    .select(['l.id', 'l.shop_id', 'l.host_id', 'l.title', 'l.ended_at'])
    .where('l.status', '=', 'ended')
    .where('l.ended_at', '>', since)
    .where('l.ended_at', '<', new Date(ctx.clock.nowMs() - SETTLE_MS))
    .where((eb) => eb.exists(eb.selectFrom('stream_publishes as p').select('p.id').whereRef('p.live_session_id', '=', 'l.id')))
    .where((eb) => eb.not(eb.exists(eb.selectFrom('stream_publishes as p').select('p.id').whereRef('p.live_session_id', '=', 'l.id').where('p.stopped_at', 'is', null))))
    .where((eb) => eb.not(eb.exists(eb.selectFrom('videos as v').select('v.id').whereRef('v.live_session_id', '=', 'l.id'))))
    .limit(20)
    .execute();
  let made = 0;
  for (const s of sessions) {
    let replay: Awaited<ReturnType<Media['replay']>>;
    try {
      replay = await media.replay(s.id);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) continue;
      throw err;
    }
    const pins = replay.pins.slice(0, MAX_PINS);
    const skus = pins.length ? await ctx.db.selectFrom('skus').select(['id', 'product_id', 'shop_id']).where('id', 'in', pins.map((p) => p.skuId)).execute() : [];
    const now = ctx.clock.now();
    const id = newId('vid');
    const inserted = await ctx.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('videos')
        .values({ id, kind: 'replay', creator_id: s.host_id, shop_id: s.shop_id, live_session_id: s.id, title: s.title, description: '', status: 'ready', failure_reason: null, media_prefix: null, duration_ms: Math.round(replay.durationSeconds * 1000), width: null, height: null, taken_down_at: null, taken_down_by: null, take_down_reason: null, deleted_at: null, created_at: now, updated_at: now, ready_at: now })
        .onConflict((oc) => oc.column('live_session_id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!row) return false;
      const links = pins.flatMap((p, position) => {
        const sku = skus.find((k) => k.id === p.skuId);
        return sku ? [{ video_id: id, position, sku_id: sku.id, product_id: sku.product_id, shop_id: sku.shop_id, offer_id: null, pin_seconds: p.offsetSeconds }] : [];
      });
      if (links.length) await trx.insertInto('video_products').values(links).execute();
      return true;
    });
    if (inserted) made++;
  }
  return made;
}
