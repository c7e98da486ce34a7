// How a video is shown: the public view (ready, visible), and what its creator and operators also see.
import { Type, type Static } from 'typebox';
import type { VideoProductsTable, VideosTable } from '../../adapters/db/schema-videos.ts';
import type { Config } from '../../config.ts';
import { aspectRatio } from './rules.ts';

export type VideoRow = VideosTable & { creator_handle: string; creator_display_name: string | null; shop_status: string | null };

/** A video's product link (its table's columns) with what the card shows of the product. */
export interface VideoProductRow extends VideoProductsTable {
  title: string;
  sku_name: string;
  price: number;
  available: number;
}

export const VideoProductView = Type.Object({
  skuId: Type.String(),
  productId: Type.String(),
  shopId: Type.String(),
  title: Type.String(),
  skuName: Type.String(),
  price: Type.Integer({ description: 'fen' }),
  available: Type.Integer(),
  promoted: Type.Boolean({ description: "Another shop's product, promoted through its marketplace offer" }),
  pinSeconds: Type.Union([Type.Number(), Type.Null()], { description: 'Replays: where in the video the product was dropped' }),
});

export const VideoSocialView = Type.Object({
  likes: Type.Integer(),
  comments: Type.Integer(),
  liked: Type.Boolean({ description: 'The caller likes it' }),
  following: Type.Boolean({ description: 'The caller follows its creator' }),
});
export type VideoSocialView = Static<typeof VideoSocialView>;

export const VideoView = Type.Object({
  id: Type.String(),
  kind: Type.Enum(['upload', 'replay'] as const),
  title: Type.String(),
  description: Type.String(),
  topics: Type.Array(Type.String()),
  status: Type.Enum(['processing', 'ready', 'failed'] as const),
  failureReason: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Why processing failed (creator and operators only)' })),
  takenDown: Type.Optional(
    Type.Union([Type.Object({ at: Type.String(), reason: Type.String() }), Type.Null()], { description: 'Set when an operator took the video down (creator and operators only)' }),
  ),
  creator: Type.Object({ id: Type.String(), handle: Type.String(), displayName: Type.Union([Type.String(), Type.Null()]) }),
  shopId: Type.Union([Type.String(), Type.Null()]),
  liveSessionId: Type.Union([Type.String(), Type.Null()]),
  durationSeconds: Type.Union([Type.Number(), Type.Null()]),
  width: Type.Union([Type.Integer(), Type.Null()], { description: "The source's frame; playback is always a 9:16 frame, letterboxed" }),
  height: Type.Union([Type.Integer(), Type.Null()]),
  aspectRatio: Type.Union([Type.String(), Type.Null()], { description: 'Of the source, e.g. "9:16" or "16:9"' }),
  playback: Type.Union([
    Type.Object({
      hls: Type.String({ description: 'The HLS master playlist (720p and 360p), or the replay playlist of a live session' }),
      cover: Type.Union([Type.String(), Type.Null()], { description: 'JPEG' }),
      preview: Type.Union([Type.String(), Type.Null()], { description: 'A 3 s silent MP4 loop' }),
    }),
    Type.Null(),
  ]),
  products: Type.Array(VideoProductView),
  social: VideoSocialView,
  createdAt: Type.String(),
  readyAt: Type.Union([Type.String(), Type.Null()]),
});
export type VideoView = Static<typeof VideoView>;

/** Public URL of a processed video's file (Hawker serves it from storage at /media/videos/…). */
export const mediaUrl = (config: Config, prefix: string, file: string) => `${config.publicUrl}/media/${prefix}/${file}`;

export function videoView(config: Config, row: VideoRow, topics: string[], products: VideoProductRow[], social: VideoSocialView, manager: boolean): VideoView {
  const playback =
    row.status !== 'ready'
      ? null
      : row.live_session_id && !row.media_prefix
        ? { hls: `${config.publicUrl}/live/${row.live_session_id}/replay.m3u8`, cover: null, preview: null }
        : { hls: mediaUrl(config, row.media_prefix!, 'master.m3u8'), cover: mediaUrl(config, row.media_prefix!, 'cover.jpg'), preview: mediaUrl(config, row.media_prefix!, 'preview.mp4') };
  const view: VideoView = {
    id: row.id,
    kind: row.kind,
    title: row.title,
    description: row.description,
    topics,
    status: row.status,
    creator: { id: row.creator_id, handle: row.creator_handle, displayName: row.creator_display_name },
    shopId: row.shop_id,
    liveSessionId: row.live_session_id,
    durationSeconds: row.duration_ms === null ? null : row.duration_ms / 1000,
    width: row.width,
    height: row.height,
    aspectRatio: row.width && row.height ? aspectRatio(row.width, row.height) : null,
    playback: row.taken_down_at ? null : playback,
    products: products.map((p) => ({
      skuId: p.sku_id,
      productId: p.product_id,
      shopId: p.shop_id,
      title: p.title,
      skuName: p.sku_name,
      price: p.price,
      available: p.available,
      promoted: p.offer_id !== null,
      pinSeconds: p.pin_seconds,
    })),
    social,
    createdAt: row.created_at.toISOString(),
    readyAt: row.ready_at?.toISOString() ?? null,
  };
  if (manager) {
    view.failureReason = row.failure_reason;
    view.takenDown = row.taken_down_at ? { at: row.taken_down_at.toISOString(), reason: row.take_down_reason ?? '' } : null;
  }
  return view;
}
