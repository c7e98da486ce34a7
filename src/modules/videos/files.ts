// Serving processed videos at /media/videos/<id>/<run>/…: each request checks the video is still public (a take-down
// or deletion is felt within CACHE_MS), playlists are sent with no-cache (so a take-down also stops new plays
// behind a CDN), and everything else — segments, cover, preview, names used once — with year-long immutable
// caching. With S3_PUBLIC_URL, playlists still come from Hawker but list their segments at the store's address,
// and the cover and preview are redirects there, so the bytes come from the bucket or its CDN.
import { Type } from 'typebox';
import type { ByteRange } from '../../adapters/storage/index.ts';
import type { App } from '../../platform/context.ts';
import { notFound } from '../../platform/errors.ts';
import { ExpiringMemo } from '../../platform/expiring-memo.ts';
import type { Videos } from './service.ts';

/** How long a video's visibility is reused between its playlist and segment requests. */
const CACHE_MS = 300;
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** What may follow /media/videos/<id>/<run>/: the master playlist, a rendition's playlist or segment, the cover or preview. */
const FILE = /^(?:(?:720p|360p)\/(?:index\.m3u8|\d{1,6}\.ts)|master\.m3u8|cover\.jpg|preview\.mp4)$/;

/** "bytes=a-b" or "bytes=a-": one range, or none (a suffix or multi-range request gets the whole file). */
function parseRange(header: string | undefined): ByteRange | undefined {
  const m = /^bytes=(\d{1,15})-(\d{0,15})$/.exec(header ?? '');
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] ? Number(m[2]) : undefined;
  return end === undefined || end >= start ? { start, end } : undefined;
}

export function videoFileRoutes(app: App, videos: Videos): void {
  const visible = new ExpiringMemo<string, string | null>(CACHE_MS, (videoId) => videos.visibleMedia(videoId));
  const prefixOf = (videoId: string) => visible.get(videoId);

  app.get(
    '/media/videos/:videoId/:run/*',
    {
      schema: {
        tags: ['videos'],
        summary: "A processed short video's file: master.m3u8, <rendition>/index.m3u8 and segments, cover.jpg, preview.mp4 (the URLs a video's playback lists)",
        params: Type.Object({ videoId: Type.String({ minLength: 1, maxLength: 64 }), run: Type.String({ minLength: 1, maxLength: 64 }), '*': Type.String({ maxLength: 64 }) }),
      },
    },
    async (req, reply) => {
      const { videoId, run } = req.params;
      const file = req.params['*'];
      const prefix = await prefixOf(videoId);
      if (!prefix || prefix !== `videos/${videoId}/${run}` || !FILE.test(file)) throw notFound('file');
      const key = `${prefix}/${file}`;
      const storage = videos.storage;
      if (file.endsWith('.m3u8')) {
        const found = await storage.get(key);
        if (!found) throw notFound('file');
        let text = '';
        for await (const chunk of found.body) text += chunk;
        const dir = key.slice(0, key.lastIndexOf('/'));
        // Segment lines (not tags) point at the store when it is read directly; the master's rendition lines stay here.
        if (file !== 'master.m3u8' && storage.publicUrl(key)) text = text.replace(/^(?!#)(\S+)$/gm, (line) => storage.publicUrl(`${dir}/${line}`)!);
        return reply.header('cache-control', 'no-cache').type(found.contentType).send(text);
      }
      const direct = storage.publicUrl(key);
      if (direct) return reply.header('cache-control', IMMUTABLE).redirect(direct, 302);
      const range = parseRange(req.headers.range);
      const found = await storage.get(key, range);
      if (!found) {
        if (range) return reply.status(416).header('content-range', 'bytes */*').send({ error: { code: 'range_not_satisfiable', message: 'the range starts past the end of the file' } });
        throw notFound('file');
      }
      reply.header('cache-control', IMMUTABLE).header('accept-ranges', 'bytes').type(found.contentType).header('content-length', found.end - found.start + 1);
      if (range) reply.status(206).header('content-range', `bytes ${found.start}-${found.end}/${found.size}`);
      return reply.send(found.body);
    },
  );
}
