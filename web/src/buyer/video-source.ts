// Where the short-video feed's videos come from. Today: every public video, newest first (GET /videos); the
// discovery feed (issue #16) replaces loadVideoPage and nothing else.
import { get, query } from '../shared/api.ts';
import type { Video } from '../shared/types.ts';

export type { Video, VideoProduct, VideoSocial } from '../shared/types.ts';

export interface VideoPage {
  videos: Video[];
  nextCursor: string | null;
}

/** One page of the feed's videos; `cursor` from the previous page. */
export function loadVideoPage(cursor: string | null, signal?: AbortSignal): Promise<VideoPage> {
  return get<VideoPage>(`/videos${query({ cursor, limit: 10 })}`, signal);
}

export async function loadVideo(id: string, signal?: AbortSignal): Promise<Video> {
  return (await get<{ video: Video }>(`/videos/${encodeURIComponent(id)}`, signal)).video;
}

/** Only what can be played: a video still processing, failed or taken down has no playback. */
export const playable = (v: Video) => v.status === 'ready' && v.playback !== null;
