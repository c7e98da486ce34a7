// The caller's own short videos under Me: each with its state (and why it failed) and its figures, and the way
// to post a new one; a ready one can be boosted (加热), and the boosts bought show under the list.
import { useState } from 'preact/hooks';
import { BoostButton, BoostList } from '../shared/Boosts.tsx';
import { type CreatorVideo, formatSeconds, useVideosWithStats, VideoStatusBadge, videoFigures, type VideoStats } from '../shared/CreatorVideos.tsx';
import { t } from '../shared/i18n.ts';
import { Link } from '../shared/router.tsx';
import { Empty, Loaded } from '../shared/ui.tsx';
import '../shared/VideoUploadForm.css';
import { MePage, Stat } from './MePage.tsx';

export function MyVideos() {
  return (
    <MePage title={t('creatorVideos.title')} testId="my-videos-page">
      <MyVideosBody />
    </MePage>
  );
}

function MyVideosBody() {
  const videos = useVideosWithStats('/me/video-stats?limit=100');
  const [round, setRound] = useState(0);
  const titles = Object.fromEntries((videos.data ?? []).map(({ video }) => [`video:${video.id}`, video.title]));
  return (
    <>
      <Link class="btn btn-primary btn-block" href="/me/videos/new" data-testid="new-video">
        {t('creatorVideos.upload')}
      </Link>
      <Loaded resource={videos}>
        {(list) =>
          list.length === 0 ? (
            <Empty icon="film" title={t('creatorVideos.empty')} hint={t('creatorVideos.emptyHint')} />
          ) : (
            <ul class="video-cards" style={{ marginTop: '12px' }}>
              {list.map(({ video, stats }) => (
                <VideoCard key={video.id} video={video} stats={stats} onBoosted={() => setRound((r) => r + 1)} />
              ))}
            </ul>
          )
        }
      </Loaded>
      <section class="card">
        <BoostList path="/me/boosts" titles={titles} round={round} />
      </section>
    </>
  );
}

function VideoCard({ video, stats, onBoosted }: { video: CreatorVideo; stats: VideoStats; onBoosted(): void }) {
  return (
    <li class="card" data-testid="video-row" data-video-id={video.id}>
      <div class="video-card-head">
        {video.playback?.cover ? <img class="video-cover" src={video.playback.cover} alt="" data-testid="video-cover" /> : <span class="video-cover video-cover-none" />}
        <div>
          <span class="video-card-title">{video.title}</span>
          <VideoStatusBadge video={video} withReason />
          <p class="muted video-hint">
            {[video.durationSeconds === null ? null : formatSeconds(video.durationSeconds), video.topics.map((topic) => `#${topic}`).join(' ') || null, video.products.length ? t('creatorVideos.linked', { n: video.products.length }) : null]
              .filter(Boolean)
              .join(' · ')}
          </p>
        </div>
      </div>
      {video.status === 'ready' && (
        <div class="video-stats">
          {videoFigures(stats).map((f) => (
            <Stat key={f.key} label={f.label} value={f.value} testId={`figure-${f.key}`} />
          ))}
        </div>
      )}
      {video.status === 'ready' && !video.takenDown && (
        <div class="actions" style={{ marginTop: '8px', marginBottom: 0 }}>
          <BoostButton target={{ type: 'video', id: video.id, title: video.title, topics: video.topics }} onBought={onBoosted} />
        </div>
      )}
    </li>
  );
}
