import type { Selectable } from 'kysely';
import { Type } from 'typebox';
import type { LiveSessionsTable, ShopStatus } from '../../adapters/db/schema.ts';
import type { Config } from '../../config.ts';
import { DropView } from '../drops/views.ts';

/** A session row with the shop it belongs to, as every live query selects it. */
export type LiveSessionRow = Selectable<LiveSessionsTable> & { shop_name: string; shop_status: ShopStatus };

const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

export const Playback = Type.Object({
  hls: Type.String({ description: 'HLS playlist; serves the stream while the session is live' }),
  flv: Type.String({ description: 'HTTP-FLV stream, lower latency where the player supports it' }),
});

/** What anyone may see of a session: the feed and public pages show exactly this. */
export const PublicLiveSessionView = Type.Object({
  id: Type.String(),
  shopId: Type.String(),
  title: Type.String(),
  status: Type.Union([Type.Literal('scheduled'), Type.Literal('live'), Type.Literal('ended')]),
  viewers: Type.Integer({ minimum: 0 }),
  playback: Playback,
  scheduledAt: Time,
  startedAt: Time,
  endedAt: Time,
  shop: Type.Object({ id: Type.String(), name: Type.String() }),
});

const Ingest = Type.Object(
  { url: Type.String(), streamKey: Type.String() },
  { description: 'Shop staff only. url + "/" + streamKey is the full RTMP publish URL, as OBS builds it.' },
);

/** The one schema routes answer with: the public view, plus ingest when the caller is shop staff. */
export const LiveSessionView = Type.Object({
  ...PublicLiveSessionView.properties,
  ingest: Type.Optional(Ingest),
  drop: Type.Optional(Type.Object(DropView.properties, { description: 'The drop pinned in the room now' })),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** `viewers`: open sockets in the session's room across all nodes (the live-room hub counts them). */
export function publicLiveSession(config: Pick<Config, 'publicUrl'>, s: LiveSessionRow, viewers = 0) {
  return {
    id: s.id,
    shopId: s.shop_id,
    title: s.title,
    status: s.status,
    viewers,
    playback: { hls: `${config.publicUrl}/live/${s.id}/index.m3u8`, flv: `${config.publicUrl}/live/${s.id}.flv` },
    scheduledAt: iso(s.scheduled_at),
    startedAt: iso(s.started_at),
    endedAt: iso(s.ended_at),
    shop: { id: s.shop_id, name: s.shop_name },
  };
}

export function staffLiveSession(config: Pick<Config, 'publicUrl' | 'rtmpUrl'>, s: LiveSessionRow, viewers = 0) {
  return { ...publicLiveSession(config, s, viewers), ingest: { url: config.rtmpUrl, streamKey: s.stream_key } };
}
