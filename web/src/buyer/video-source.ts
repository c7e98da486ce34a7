// Where the short-video feed's videos come from: the discovery feed (GET /feed, its videos only), ranked for the
// viewer, and once the feed has nothing more to offer, every public video newest first (GET /videos), so the
// swipe never ends while there is something to watch. The cursor says which of the two the next page reads.
import { auth, get, query } from '../shared/api.ts';
import { deviceId } from '../shared/device.ts';
import type { FeedItem, Video } from '../shared/types.ts';

export type { Video, VideoProduct, VideoSocial } from '../shared/types.ts';

export interface VideoPage {
  videos: Video[];
  nextCursor: string | null;
}

const FEED = 'feed:';
const LATEST = 'latest:';
/** Feed pages read for one page of videos at most: a page of the feed may hold only live rooms and products. */
const FEED_PAGES_PER_CALL = 4;

/** One page of the feed's videos; `cursor` from the previous page. */
export async function loadVideoPage(cursor: string | null, signal?: AbortSignal): Promise<VideoPage> {
  if (cursor?.startsWith(LATEST)) return latest(cursor.slice(LATEST.length) || null, signal);
  let feedCursor = cursor?.startsWith(FEED) ? cursor.slice(FEED.length) : null;
  const videos: Video[] = [];
  for (let i = 0; i < FEED_PAGES_PER_CALL; i++) {
    const page = await get<{ items: FeedItem[]; nextCursor: string | null }>(`/feed${query({ cursor: feedCursor, limit: 10, tab: 'all', kind: 'video', deviceId: auth.token ? undefined : deviceId() })}`, signal);
    for (const item of page.items) if (item.type === 'video') videos.push(item);
    feedCursor = page.nextCursor;
    if (!feedCursor) break;
    if (videos.length > 0) return { videos, nextCursor: FEED + feedCursor };
  }
  if (feedCursor) return { videos, nextCursor: FEED + feedCursor };
  // The feed ran dry: what is left comes newest first (the player drops the ones it already has).
  if (videos.length > 0) return { videos, nextCursor: LATEST };
  return latest(null, signal);
}

async function latest(cursor: string | null, signal?: AbortSignal): Promise<VideoPage> {
  const page = await get<VideoPage>(`/videos${query({ cursor, limit: 10 })}`, signal);
  return { videos: page.videos, nextCursor: page.nextCursor === null ? null : LATEST + page.nextCursor };
}

export async function loadVideo(id: string, signal?: AbortSignal): Promise<Video> {
  return (await get<{ video: Video }>(`/videos/${encodeURIComponent(id)}`, signal)).video;
}

/** Only what can be played: a video still processing, failed or taken down has no playback. */
export const playable = (v: Video) => v.status === 'ready' && v.playback !== null;
