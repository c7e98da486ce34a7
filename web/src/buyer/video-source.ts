// Where the short-video feed's videos come from. Today: every public video, newest first (GET /videos); the
// discovery feed (issue #16) replaces loadVideoPage and nothing else.
import { get, query } from '../shared/api.ts';

export interface VideoProduct {
  skuId: string;
  productId: string;
  shopId: string;
  title: string;
  skuName: string;
  /** fen */
  price: number;
  available: number;
  promoted: boolean;
  /** Replays: where in the video the product was dropped. */
  pinSeconds: number | null;
}

export interface VideoSocial {
  likes: number;
  comments: number;
  liked: boolean;
  following: boolean;
}

export interface Video {
  id: string;
  kind: 'upload' | 'replay';
  title: string;
  description: string;
  topics: string[];
  status: 'processing' | 'ready' | 'failed';
  creator: { id: string; handle: string; displayName: string | null };
  shopId: string | null;
  liveSessionId: string | null;
  durationSeconds: number | null;
  playback: { hls: string; cover: string | null; preview: string | null } | null;
  products: VideoProduct[];
  /** Absent on a node without likes, comments and follows yet. */
  social?: VideoSocial;
  createdAt: string;
}

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
