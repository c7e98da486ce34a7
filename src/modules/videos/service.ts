// Short videos: posting one from a finished upload (its products checked, its text through the sensitive-word
// filter, a processing job queued), who sees what, lists, deletion by the creator and take-down by an operator.
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { MediaStorage } from '../../adapters/storage/index.ts';
import type { AppContext } from '../../platform/context.ts';
import { conflict, invalidRequest, invalidState, notFound, unauthorized } from '../../platform/errors.ts';
import { ExpiringMemo } from '../../platform/expiring-memo.ts';
import { newId } from '../../platform/ids.ts';
import { newestFirst, type PageQuery } from '../../platform/pagination.ts';
import type { Principal } from '../accounts/service.ts';
import { requirePermission } from '../affiliate/influencers.ts';
import { showcasedOffer } from '../affiliate/offers.ts';
import { shopRole } from '../shops/access.ts';
import { requireVideoCreator } from './access.ts';
import { MAX_PRODUCTS, topicsOf } from './rules.ts';
import { videoSocial } from './social.ts';
import type { VideoUploads } from './uploads.ts';
import { videoView, type VideoProductRow, type VideoRow, type VideoView } from './views.ts';

export function videosWithCreator(db: Db) {
  return db
    .selectFrom('videos as v')
    .innerJoin('users as u', 'u.id', 'v.creator_id')
    .leftJoin('shops as s', 's.id', 'v.shop_id')
    .selectAll('v')
    .select(['u.handle as creator_handle', 'u.display_name as creator_display_name', 's.status as shop_status']);
}

/** What anyone may watch: ready, not taken down or deleted, its shop (if any) not suspended. */
export const isPublic = (v: VideoRow) => v.status === 'ready' && !v.taken_down_at && !v.deleted_at && v.shop_status !== 'suspended';

/**
 * How long a node reuses what it read of a video for the orders placed through it. Take-downs are not sent over the
 * bus: like the video's files (files.ts), every node re-reads within this, so a taken-down video stops selling
 * through itself within a second everywhere (at once on the node that took it down).
 */
const SALES_CACHE_MS = 300;

/** A public video's product links: SKU → the marketplace offer it is promoted through (null: the video's own shop's). */
export type VideoSkuLinks = ReadonlyMap<string, string | null>;

/**
 * What an order through a video needs to know of it, read once per SALES_CACHE_MS per node however many buyers tap
 * its card at once (a flash drop's hot path asks it for every attempt).
 */
export class VideoSales {
  private readonly links = new ExpiringMemo<string, VideoSkuLinks | null>(SALES_CACHE_MS, (videoId) => this.read(videoId));

  constructor(private readonly db: Db) {}

  /** The video's product links while anyone may watch it (isPublic); null when they may not. */
  linksOf(videoId: string): Promise<VideoSkuLinks | null> {
    return this.links.get(videoId);
  }

  private async read(videoId: string): Promise<VideoSkuLinks | null> {
    const row = await videosWithCreator(this.db).where('v.id', '=', videoId).executeTakeFirst();
    if (!row || !isPublic(row)) return null;
    const links = await this.db.selectFrom('video_products').select(['sku_id', 'offer_id']).where('video_id', '=', videoId).execute();
    return new Map(links.map((l) => [l.sku_id, l.offer_id]));
  }

  /** An order of these SKUs may go through the video: 404 when it is not public, 409 for a SKU not under it. */
  async requireSelling(videoId: string, skuIds: readonly string[]): Promise<void> {
    const links = await this.linksOf(videoId);
    if (!links) throw notFound('video');
    const missing = skuIds.find((id) => !links.has(id));
    if (missing !== undefined) throw conflict('sku_not_in_video', `sku ${missing} is not under this video: order it from its product page`);
  }

  /** This node took the video down or deleted it: its sales stop here now, not at the next read. */
  forget(videoId: string): void {
    this.links.forget(videoId);
  }
}

export interface NewVideo {
  uploadId: string;
  title: string;
  description?: string;
  topics?: string[];
  shopId?: string;
  skuIds?: string[];
}

export class Videos {
  constructor(
    private readonly ctx: AppContext,
    readonly storage: MediaStorage,
    readonly uploads: VideoUploads,
    /** Called once a new job is queued, so this node starts on it without waiting for its next poll. */
    private readonly queued: () => void,
  ) {}

  /** Whether the caller manages the video: its creator, its shop's staff, or an operator. */
  private async manages(principal: Principal | null, v: VideoRow): Promise<boolean> {
    if (!principal) return false;
    if (principal.userId === v.creator_id || principal.role === 'operator') return true;
    return v.shop_id !== null && (await shopRole(this.ctx.db, principal, v.shop_id)) !== null;
  }

  private async views(rows: VideoRow[], manager: (v: VideoRow) => boolean, viewerId: string | null): Promise<VideoView[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const [topics, products, social] = await Promise.all([
      this.ctx.db.selectFrom('video_topics').select(['video_id', 'topic']).where('video_id', 'in', ids).execute(),
      this.ctx.db
        .selectFrom('video_products as vp')
        .innerJoin('skus as k', 'k.id', 'vp.sku_id')
        .innerJoin('products as p', 'p.id', 'vp.product_id')
        .selectAll('vp')
        .select(['p.title', 'k.name as sku_name', 'k.price', sql<number>`(k.stocked - k.held - k.sold)::int4`.as('available')])
        .where('vp.video_id', 'in', ids)
        .orderBy('vp.video_id')
        .orderBy('vp.position')
        .execute(),
      videoSocial(this.ctx.db, rows, viewerId),
    ]);
    return rows.map((r) =>
      videoView(
        this.ctx.config,
        r,
        topics.filter((t) => t.video_id === r.id).map((t) => t.topic),
        (products as VideoProductRow[]).filter((p) => p.video_id === r.id),
        social.get(r.id) ?? { likes: 0, comments: 0, liked: false, following: false },
        manager(r),
      ),
    );
  }

  /** The video as the caller may see it; 404 when they may not (processing, failed, taken down: its managers only). */
  async get(principal: Principal | null, id: string): Promise<VideoView> {
    const { row, manager } = await this.visible(principal, id);
    return (await this.views([row], () => manager, principal?.userId ?? null))[0];
  }

  /** The video if the caller may see it, and whether they manage it; 404 otherwise (without a caller: unless public). */
  async visible(principal: Principal | null, id: string): Promise<{ row: VideoRow; manager: boolean }> {
    const row = await videosWithCreator(this.ctx.db).where('v.id', '=', id).where('v.deleted_at', 'is', null).executeTakeFirst();
    if (!row) throw notFound('video');
    const manager = await this.manages(principal, row);
    if (!manager && !isPublic(row)) throw notFound('video');
    return { row, manager };
  }

  /**
   * Posts a video from the caller's finished upload: as the given shop (its staff) or as the influencer themself.
   * Products: up to five SKUs of that shop, or of other shops' products in the caller's showcase when their tier
   * allows product links in videos. The source is copied into storage and a processing job queued.
   */
  async create(principal: Principal, input: NewVideo): Promise<VideoView> {
    const { ctx } = this;
    await requireVideoCreator(ctx, principal);
    if (input.shopId !== undefined) {
      const role = await shopRole(ctx.db, principal, input.shopId);
      if (!role || role === 'operator') throw notFound('shop');
      const shop = await ctx.db.selectFrom('shops').select('status').where('id', '=', input.shopId).executeTakeFirstOrThrow();
      if (shop.status === 'suspended') throw invalidState('a suspended shop cannot post videos');
    }
    // Masked like chat, so a title never shows a listed word whatever the creator typed.
    const title = ctx.rooms.mask(input.title.trim());
    const description = ctx.rooms.mask((input.description ?? '').trim());
    if (!title) throw invalidRequest('title must not be blank');
    const topics = topicsOf(input.topics ?? [], title, description);
    const products = await this.productLinks(principal, input.shopId ?? null, input.skuIds ?? []);

    const taken = await ctx.db.selectFrom('video_jobs').select('video_id').where('upload_id', '=', input.uploadId).executeTakeFirst();
    if (taken) throw conflict('upload_used', 'this upload already became a video');
    const upload = await this.uploads.finished(input.uploadId, principal.userId);
    const sourceKey = `sources/${input.uploadId}/source`;
    await this.storage.putFile(sourceKey, upload.path, 'application/octet-stream');

    const id = newId('vid');
    const now = ctx.clock.now();
    try {
      await ctx.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('videos')
          .values({ id, kind: 'upload', creator_id: principal.userId, shop_id: input.shopId ?? null, live_session_id: null, title, description, status: 'processing', failure_reason: null, media_prefix: null, duration_ms: null, width: null, height: null, taken_down_at: null, taken_down_by: null, take_down_reason: null, deleted_at: null, created_at: now, updated_at: now, ready_at: null })
          .execute();
        if (topics.length) await trx.insertInto('video_topics').values(topics.map((topic) => ({ topic, video_id: id }))).execute();
        if (products.length) await trx.insertInto('video_products').values(products.map((p, position) => ({ ...p, video_id: id, position, pin_seconds: null }))).execute();
        await trx
          .insertInto('video_jobs')
          .values({ video_id: id, status: 'processing', upload_id: input.uploadId, source_key: sourceKey, source_bytes: upload.size, generate: null, attempts: 0, next_attempt_at: now, locked_by: null, locked_until: null, reason: null, created_at: now, updated_at: now })
          .execute();
      });
    } catch (err) {
      // Two requests with one upload: the unique upload_id let one of them in.
      if (await ctx.db.selectFrom('video_jobs').select('video_id').where('upload_id', '=', input.uploadId).executeTakeFirst()) throw conflict('upload_used', 'this upload already became a video');
      throw err;
    }
    await this.uploads.remove(input.uploadId).catch((err) => ctx.log.warn({ err, uploadId: input.uploadId }, 'videos: could not remove a used upload'));
    this.queued();
    return this.get(principal, id);
  }

  /** The SKUs a creator may hang under a video, each with its product, shop and (promoted) offer. */
  private async productLinks(principal: Principal, shopId: string | null, skuIds: string[]) {
    if (new Set(skuIds).size !== skuIds.length) throw invalidRequest('a SKU is linked once');
    if (skuIds.length > MAX_PRODUCTS) throw invalidRequest(`at most ${MAX_PRODUCTS} products`);
    const links: { sku_id: string; product_id: string; shop_id: string; offer_id: string | null }[] = [];
    let promoting = false;
    const found =
      skuIds.length === 0
        ? []
        : await this.ctx.db
            .selectFrom('skus as k')
            .innerJoin('products as p', 'p.id', 'k.product_id')
            .innerJoin('shops as s', 's.id', 'k.shop_id')
            .select(['k.id', 'k.product_id', 'k.shop_id', 'p.status', 's.status as shop_status'])
            .where('k.id', 'in', skuIds)
            .execute();
    const byId = new Map(found.map((sku) => [sku.id, sku]));
    for (const skuId of skuIds) {
      const sku = byId.get(skuId);
      if (!sku || sku.status !== 'listed' || sku.shop_status === 'suspended') throw notFound('sku');
      if (sku.shop_id === shopId) {
        links.push({ sku_id: sku.id, product_id: sku.product_id, shop_id: sku.shop_id, offer_id: null });
        continue;
      }
      // Another shop's product: only through the creator's showcase (its offer decides the commission).
      const offer = await showcasedOffer(this.ctx.db, principal.userId, sku.product_id);
      if (!offer) throw notFound('sku');
      promoting = true;
      links.push({ sku_id: sku.id, product_id: sku.product_id, shop_id: sku.shop_id, offer_id: offer.id });
    }
    if (promoting) await requirePermission(this.ctx, principal.userId, 'videoSharing');
    return links;
  }

  /**
   * Lists, newest first: a shop's (`shopId`), a creator's (`creatorId`), the caller's own (`mine`), or everything
   * public on a topic (`topic`) or at all (no filter). Managers see their videos in every state; everyone else sees what is public.
   */
  async list(principal: Principal | null, q: PageQuery & { shopId?: string; creatorId?: string; mine?: boolean; topic?: string }) {
    let query = videosWithCreator(this.ctx.db).where('v.deleted_at', 'is', null);
    let manager = false;
    if (q.mine) {
      if (!principal) throw unauthorized();
      query = query.where('v.creator_id', '=', principal.userId);
      manager = true;
    } else if (q.creatorId !== undefined) {
      query = query.where('v.creator_id', '=', q.creatorId);
      manager = principal !== null && (principal.userId === q.creatorId || principal.role === 'operator');
    } else if (q.shopId !== undefined) {
      query = query.where('v.shop_id', '=', q.shopId);
      manager = (await shopRole(this.ctx.db, principal, q.shopId)) !== null;
    }
    // No filter: every public video, the short-video feed's source until the discovery feed ranks them (issue #16).
    if (q.topic !== undefined) {
      const topic = topicsOf([q.topic])[0] ?? '';
      query = query.where('v.id', 'in', (eb) => eb.selectFrom('video_topics').select('video_id').where('topic', '=', topic));
    }
    if (!manager) {
      query = query
        .where('v.status', '=', 'ready')
        .where('v.taken_down_at', 'is', null)
        .where((eb) => eb.or([eb('s.status', 'is', null), eb('s.status', '!=', 'suspended')]));
    }
    const { items, nextCursor } = await newestFirst(query, q, { idColumn: 'v.id' });
    return { videos: await this.views(items, () => manager, principal?.userId ?? null), nextCursor };
  }

  /** The creator (or an operator) deletes a video: gone for everyone at once, its media removed from storage. */
  async delete(principal: Principal, id: string): Promise<void> {
    const row = await this.ctx.db.selectFrom('videos').select(['creator_id', 'media_prefix']).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    if (!row || (row.creator_id !== principal.userId && principal.role !== 'operator')) throw notFound('video');
    const now = this.ctx.clock.now();
    await this.ctx.db.updateTable('videos').set({ deleted_at: now, updated_at: now }).where('id', '=', id).execute();
    this.ctx.videoSales.forget(id);
    // A job waiting stops here (with its source); one running finds the video deleted when it finishes and removes what it wrote.
    const stopped = await this.ctx.db
      .updateTable('video_jobs')
      .set({ status: 'failed', reason: 'deleted by its creator', updated_at: now })
      .where('video_id', '=', id)
      .where('status', '=', 'processing')
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .returning('source_key')
      .executeTakeFirst();
    const remove = (prefix: string) => this.storage.deletePrefix(prefix).catch((err) => this.ctx.log.warn({ err, videoId: id, prefix }, 'videos: could not remove a deleted video’s files'));
    if (stopped?.source_key) await remove(stopped.source_key.slice(0, stopped.source_key.lastIndexOf('/') + 1));
    if (row.media_prefix) await remove(`videos/${id}/`);
  }

  /** An operator takes a video down: from the next request on it is not found by anyone but its managers. */
  async takeDown(principal: Principal, id: string, reason: string): Promise<VideoView> {
    const now = this.ctx.clock.now();
    const done = await this.ctx.db
      .updateTable('videos')
      .set({ taken_down_at: now, taken_down_by: principal.userId, take_down_reason: reason, updated_at: now })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (done.numUpdatedRows === 0n) throw notFound('video');
    this.ctx.videoSales.forget(id);
    return this.get(principal, id);
  }

  /** Where a visible video's processed media lives (for serving its files), or null. */
  async visibleMedia(id: string): Promise<string | null> {
    const row = await videosWithCreator(this.ctx.db).where('v.id', '=', id).executeTakeFirst();
    return row && isPublic(row) ? row.media_prefix : null;
  }
}
