// Short-video rules with no I/O: what source the processing accepts, the topics (#话题) a video carries, how a
// failed attempt waits before the next one, and how the source's frame is described.
import type { Probe } from '../../adapters/media/transcode.ts';

export const LIMITS = {
  /** Shorter is not a video to swipe to; longer is not a short video (channels cap theirs at a few minutes). */
  minSeconds: 3,
  maxSeconds: 180,
  /** Bigger than 4K on its long side is not from a phone and would take minutes to decode. */
  maxSide: 4096,
  /** Above this the ladder is capped: a phone records 60 fps, a short video needs no more than 30. */
  maxFps: 30,
} as const;

export const MAX_TITLE = 100;
export const MAX_DESCRIPTION = 2000;
export const MAX_TOPICS = 10;
export const MAX_TOPIC_CHARS = 30;
export const MAX_PRODUCTS = 5;

/** Processing attempts before a video that keeps failing for reasons other than its source is failed. */
export const MAX_ATTEMPTS = 3;

/** Seconds before attempt n+1 after n attempts failed: 10 s, 40 s, 160 s, … */
export const backoffSeconds = (attempts: number) => 10 * 4 ** Math.max(0, attempts - 1);

export interface AcceptedSource {
  durationMs: number;
  /** The picture as shown (a phone's rotation applied). */
  width: number;
  height: number;
  hasAudio: boolean;
  /** Frames per second above LIMITS.maxFps, which the ladder caps; null when within it. */
  fps: number | null;
}

const STILL_FORMATS = /(^|,)(image2|[a-z0-9]+_pipe|gif|apng|webp)(,|$)/;

function frameRate(rate: string | undefined): number | null {
  const m = /^(\d+)\/(\d+)$/.exec(rate ?? '');
  return m && Number(m[2]) > 0 ? Number(m[1]) / Number(m[2]) : null;
}

/** Whether a probed source can become a short video, and if not, the reason a creator reads. */
export function judgeSource(probe: Probe, sizeBytes: number, maxBytes: number): { accepted: AcceptedSource } | { refused: string } {
  if (sizeBytes > maxBytes) return { refused: `the file is too big: ${mb(sizeBytes)} MB, at most ${mb(maxBytes)} MB` };
  if (STILL_FORMATS.test(probe.format.format_name ?? '')) return { refused: 'this is a picture, not a video' };
  const video = probe.streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video || !video.width || !video.height) return { refused: 'the file has no video stream' };
  const seconds = Number(probe.format.duration ?? video.duration);
  if (!Number.isFinite(seconds) || seconds <= 0) return { refused: 'the file does not say how long it is: it may be cut short or damaged' };
  if (seconds < LIMITS.minSeconds) return { refused: `the video is too short: ${seconds.toFixed(1)} s, at least ${LIMITS.minSeconds} s` };
  if (seconds > LIMITS.maxSeconds) return { refused: `the video is too long: ${Math.round(seconds)} s, at most ${LIMITS.maxSeconds} s` };
  if (Math.max(video.width, video.height) > LIMITS.maxSide) return { refused: `the picture is too big: ${video.width}×${video.height}, at most ${LIMITS.maxSide} on its long side` };
  const rotation = Math.abs(Number(video.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? video.tags?.rotate ?? 0)) % 180;
  const [width, height] = rotation === 90 ? [video.height, video.width] : [video.width, video.height];
  const fps = frameRate(video.avg_frame_rate);
  return {
    accepted: {
      durationMs: Math.round(seconds * 1000),
      width,
      height,
      hasAudio: probe.streams.some((s) => s.codec_type === 'audio'),
      fps: fps !== null && fps > LIMITS.maxFps + 0.5 ? fps : null,
    },
  };
}

const mb = (bytes: number) => Math.round(bytes / (1024 * 1024));

/** "9:16", "16:9", "4:3": the frame's shape in lowest terms, to the nearest common shape when it is within 2 %. */
export function aspectRatio(width: number, height: number): string {
  const common: [number, number][] = [[9, 16], [16, 9], [3, 4], [4, 3], [1, 1], [2, 3], [3, 2], [9, 21], [21, 9]];
  const ratio = width / height;
  const near = common.find(([w, h]) => Math.abs(ratio / (w / h) - 1) < 0.02);
  if (near) return `${near[0]}:${near[1]}`;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const d = gcd(width, height);
  return `${width / d}:${height / d}`;
}

/** A #话题 in text: "#" then letters, digits, marks or "_" (Chinese included), ended by anything else. */
const HASHTAG = /#([\p{L}\p{N}\p{M}_]{1,30})/gu;

/**
 * The topics a video carries: those the creator listed and the #tags in its title and description, without the
 * "#", lower-cased (so #Tea and #tea are one), each once, in the order first seen, at most MAX_TOPICS.
 */
export function topicsOf(listed: readonly string[], ...texts: string[]): string[] {
  const found = [...listed, ...texts.flatMap((text) => [...text.matchAll(HASHTAG)].map((m) => m[1]))];
  const topics: string[] = [];
  for (const t of found) {
    // Folded before the leading "#"s and spaces go, so a full-width "＃" goes too.
    const topic = t.normalize('NFKC').toLowerCase().replace(/^[\s#]+/, '').trim();
    if (topic && !topics.includes(topic)) topics.push(topic);
  }
  return topics.slice(0, MAX_TOPICS);
}
