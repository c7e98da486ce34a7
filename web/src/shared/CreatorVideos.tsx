// A creator's own videos as the console and the buyer app show them: the video as its creator sees it (every
// state, the failure's reason), its figures, the status badge, and the list with figures that refreshes itself
// while a video is still processing.
import { get } from './api.ts';
import { formatMoney, formatNumber } from './format.ts';
import { language, t } from './i18n.ts';
import type { Video } from './types.ts';
import { useInterval, useResource } from './ui.tsx';

/** A video as its creator sees it: every state, with the failure's reason or the take-down. */
export type CreatorVideo = Video;

export interface VideoStats {
  videoId: string;
  impressions: number;
  views: number;
  uniqueViewers: number;
  avgWatchSeconds: number;
  completionRate: number;
  interactionRate: number;
  likes: number;
  comments: number;
  shares: number;
  productImpressions: number;
  productClicks: number;
  orders: number;
  paidOrders: number;
  gmv: number;
}

/** 0.25 → "25%" (one decimal at most) in the reader's language. */
export const formatPercent = (share: number) => new Intl.NumberFormat(language(), { style: 'percent', maximumFractionDigits: 1 }).format(share);

/** 75.4 → "1:15"; 8.2 → "8.2 s". */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return t('creatorVideos.seconds', { n: new Intl.NumberFormat(language(), { maximumFractionDigits: 1 }).format(seconds) });
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The figures a creator reads for a video, in the order the table and the cards show them. */
export function videoFigures(stats: VideoStats | undefined): { key: string; label: string; value: string }[] {
  const n = (v: number | undefined) => (v === undefined ? '—' : formatNumber(v));
  const s = stats;
  return [
    { key: 'views', label: t('creatorVideos.figures.views'), value: n(s?.views) },
    { key: 'uniqueViewers', label: t('creatorVideos.figures.uniqueViewers'), value: n(s?.uniqueViewers) },
    { key: 'avgWatch', label: t('creatorVideos.figures.avgWatch'), value: s ? formatSeconds(s.avgWatchSeconds) : '—' },
    { key: 'completionRate', label: t('creatorVideos.figures.completionRate'), value: s ? formatPercent(s.completionRate) : '—' },
    { key: 'interactionRate', label: t('creatorVideos.figures.interactionRate'), value: s ? formatPercent(s.interactionRate) : '—' },
    { key: 'likes', label: t('creatorVideos.figures.likes'), value: n(s?.likes) },
    { key: 'comments', label: t('creatorVideos.figures.comments'), value: n(s?.comments) },
    { key: 'shares', label: t('creatorVideos.figures.shares'), value: n(s?.shares) },
    { key: 'productClicks', label: t('creatorVideos.figures.productClicks'), value: n(s?.productClicks) },
    { key: 'orders', label: t('creatorVideos.figures.orders'), value: n(s?.orders) },
    { key: 'gmv', label: t('creatorVideos.figures.gmv'), value: s ? formatMoney(s.gmv) : '—' },
  ];
}

/**
 * Why processing failed, in the reader's language. The server says it in English words (src/modules/videos/
 * rules.ts, processing.ts); the reasons it is known to give are translated with their figures, anything else
 * is shown as the server wrote it.
 */
export function failureText(reason: string | null | undefined): string {
  if (!reason) return t('creatorVideos.failures.unknown');
  const known: [RegExp, (m: RegExpExecArray) => string][] = [
    [/^not a video the server can read/, () => t('creatorVideos.failures.unreadable')],
    [/^the file is too big: (\d+) MB, at most (\d+) MB/, (m) => t('creatorVideos.failures.tooBig', { size: m[1], max: m[2] })],
    [/^this is a picture, not a video/, () => t('creatorVideos.failures.picture')],
    [/^the file has no video stream/, () => t('creatorVideos.failures.noVideo')],
    [/^the file does not say how long it is/, () => t('creatorVideos.failures.noDuration')],
    [/^the video is too short: ([\d.]+) s, at least (\d+) s/, (m) => t('creatorVideos.failures.tooShort', { seconds: m[1], min: m[2] })],
    [/^the video is too long: (\d+) s, at most (\d+) s/, (m) => t('creatorVideos.failures.tooLong', { seconds: m[1], max: m[2] })],
    [/^the picture is too big: (\d+×\d+), at most (\d+)/, (m) => t('creatorVideos.failures.frameTooBig', { size: m[1], max: m[2] })],
    [/^(transcoding|the cover|the preview) failed/, () => t('creatorVideos.failures.transcode')],
    [/^this server cannot process videos/, () => t('creatorVideos.failures.server')],
    [/^processing did not finish in \d+ attempts/, () => t('creatorVideos.failures.attempts')],
  ];
  for (const [pattern, text] of known) {
    const m = pattern.exec(reason);
    if (m) return text(m);
  }
  return reason;
}

const TONE = { processing: 'info', ready: 'ok', failed: 'bad' } as const;

/** The video's state (taken down shows over ready), with why it failed under a failed one. */
export function VideoStatusBadge({ video, withReason = false }: { video: CreatorVideo; withReason?: boolean }) {
  const takenDown = !!video.takenDown;
  return (
    <span class="video-status" data-testid="video-status" data-status={video.status} data-taken-down={takenDown ? 'true' : undefined}>
      <span class={`badge badge-${takenDown ? 'bad' : TONE[video.status]}`}>{takenDown ? t('creatorVideos.takenDown') : t(`creatorVideos.status.${video.status}`)}</span>
      {withReason && video.status === 'failed' && (
        <small class="video-failure" data-testid="video-failure">
          {failureText(video.failureReason)}
        </small>
      )}
      {withReason && takenDown && <small class="video-failure">{video.takenDown!.reason}</small>}
    </span>
  );
}

export interface VideoWithStats {
  video: CreatorVideo;
  stats: VideoStats;
}

/** How often a list with a video still processing asks again. */
const PROCESSING_POLL_MS = 3000;

/**
 * A creator's videos (every state) with their figures, newest first, from `path` (GET /me/video-stats or
 * /shops/:shopId/video-stats). Asks again every few seconds while one is processing.
 */
export function useVideosWithStats(path: string) {
  const resource = useResource((signal) => get<{ videos: VideoWithStats[] }>(path, signal).then((r) => r.videos), [path]);
  const processing = (resource.data ?? []).some((v) => v.video.status === 'processing');
  useInterval(resource.reload, PROCESSING_POLL_MS, processing);
  return resource;
}
