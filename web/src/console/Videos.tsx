// The shop's short videos: post one (upload, title, topics, the shop's products), and every video with its state
// and figures — views, unique viewers, average watch time, 完播率, 互动率, likes, comments, shares, product clicks,
// orders and GMV — with a bar per video to compare them at a glance; a ready video can be boosted (加热), and the
// shop's boosts show delivered against bought.
import { useState } from 'preact/hooks';
import { api, useAuth } from '../shared/api.ts';
import { BoostButton, BoostList } from '../shared/Boosts.tsx';
import { type CreatorVideo, type VideoWithStats, formatPercent, formatSeconds, useVideosWithStats, VideoStatusBadge, videoFigures } from '../shared/CreatorVideos.tsx';
import { formatMoney, formatNumber } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import type { Shop } from '../shared/types.ts';
import { Empty, errorText, Loaded, useSubmit } from '../shared/ui.tsx';
import { VideoUploadForm } from '../shared/VideoUploadForm.tsx';
import { EmbedSnippet } from './EmbedSnippet.tsx';
import { Figure } from './ShopOverview.tsx';

export function Videos({ shop }: { shop: Shop }) {
  const videos = useVideosWithStats(`/shops/${shop.id}/video-stats?limit=100`);
  const [round, setRound] = useState(0);
  const titles = Object.fromEntries((videos.data ?? []).map(({ video }) => [`video:${video.id}`, video.title]));
  return (
    <>
      <header class="page-head">
        <h1>{t('creatorVideos.consoleTitle')}</h1>
      </header>
      <div class="control-grid">
        <section class="panel">
          <h2>{t('creatorVideos.upload')}</h2>
          <VideoUploadForm key={shop.id} shopId={shop.id} onPosted={videos.reload} />
        </section>
        <Loaded resource={videos}>{(list) => <Overview list={list} />}</Loaded>
      </div>
      <Loaded resource={videos}>{(list) => <VideoTable list={list} onChanged={videos.reload} onBoosted={() => setRound((r) => r + 1)} />}</Loaded>
      <section class="panel">
        <BoostList path={`/shops/${shop.id}/boosts`} titles={titles} round={round} />
      </section>
    </>
  );
}

/** The shop's videos added up, and views and 完播率 per ready video. */
function Overview({ list }: { list: VideoWithStats[] }) {
  const sum = (pick: (v: VideoWithStats) => number) => list.reduce((n, v) => n + pick(v), 0);
  const ready = list.filter((v) => v.video.status === 'ready').slice(0, 8);
  const most = Math.max(1, ...ready.map((v) => v.stats.views));
  return (
    <section class="panel" data-testid="video-totals">
      <h2>{t('creatorVideos.totals')}</h2>
      <div class="figures">
        <Figure label={t('creatorVideos.figures.views')} value={formatNumber(sum((v) => v.stats.views))} />
        <Figure label={t('creatorVideos.figures.productClicks')} value={formatNumber(sum((v) => v.stats.productClicks))} />
        <Figure label={t('creatorVideos.figures.orders')} value={formatNumber(sum((v) => v.stats.orders))} />
        <Figure label={t('creatorVideos.figures.gmv')} value={formatMoney(sum((v) => v.stats.gmv))} />
      </div>
      {ready.length > 0 && (
        <>
          <h2 style={{ marginTop: '16px' }}>{t('creatorVideos.chartTitle')}</h2>
          <div class="video-bars" data-testid="video-chart">
            {ready.map(({ video, stats }) => (
              <div key={video.id} class="video-bar-row">
                <span title={video.title}>{video.title}</span>
                <span class="video-bar" role="img" aria-label={`${video.title}: ${stats.views}`}>
                  <span style={{ width: `${(stats.views / most) * 100}%` }} />
                </span>
                <span class="muted">
                  {formatNumber(stats.views)} · {formatPercent(stats.completionRate)}
                </span>
              </div>
            ))}
          </div>
        </>
      )}
    </section>
  );
}

function VideoTable({ list, onChanged, onBoosted }: { list: VideoWithStats[]; onChanged: () => void; onBoosted: () => void }) {
  if (list.length === 0) {
    return (
      <section class="panel">
        <Empty icon="film" title={t('creatorVideos.empty')} hint={t('creatorVideos.emptyHint')} />
      </section>
    );
  }
  const headings = videoFigures(undefined).map((f) => f.label);
  return (
    <section class="panel table-wrap">
      <table class="table" data-testid="video-table">
        <thead>
          <tr>
            <th>{t('creatorVideos.video')}</th>
            <th>{t('creatorVideos.statusHeading')}</th>
            <th>{t('creatorVideos.duration')}</th>
            {headings.map((h) => (
              <th key={h}>{h}</th>
            ))}
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map(({ video, stats }) => (
            <VideoRow key={video.id} video={video} figures={videoFigures(video.status === 'ready' ? stats : undefined)} onChanged={onChanged} onBoosted={onBoosted} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function VideoRow({ video, figures, onChanged, onBoosted }: { video: CreatorVideo; figures: ReturnType<typeof videoFigures>; onChanged: () => void; onBoosted: () => void }) {
  const session = useAuth();
  // Only its creator (or an operator) may delete a video; the shop's other staff see it without the button.
  const mayDelete = session.user?.id === video.creator.id || session.user?.role === 'operator';
  const remove = useSubmit(async () => {
    if (!confirm(t('creatorVideos.confirmDelete', { title: video.title }))) return;
    await api('DELETE', `/videos/${video.id}`);
    onChanged();
  });
  return (
    <tr data-testid="video-row" data-video-id={video.id}>
      <td class="video-cell">
        <div class="inline" style={{ flexWrap: 'nowrap', alignItems: 'flex-start' }}>
          {video.playback?.cover ? <img class="video-cover" src={video.playback.cover} alt="" data-testid="video-cover" /> : <span class="video-cover video-cover-none" />}
          <div>
            <strong>{video.title}</strong>
            {video.topics.length > 0 && <div class="muted">{video.topics.map((topic) => `#${topic}`).join(' ')}</div>}
            {video.products.length > 0 && <div class="muted">{t('creatorVideos.linked', { n: video.products.length })}</div>}
          </div>
        </div>
      </td>
      <td class="video-status-cell">
        <VideoStatusBadge video={video} withReason />
      </td>
      <td>{video.durationSeconds === null ? '—' : formatSeconds(video.durationSeconds)}</td>
      {figures.map((f) => (
        <td key={f.key} data-figure={f.key}>
          {f.value}
        </td>
      ))}
      <td class="video-actions-cell">
        {video.status === 'ready' && !video.takenDown && <EmbedSnippet kind="video" id={video.id} title={video.title} />}
        {video.status === 'ready' && !video.takenDown && <BoostButton target={{ type: 'video', id: video.id, title: video.title, topics: video.topics }} onBought={onBoosted} />}
        {mayDelete && (
          <button class="btn btn-small btn-danger" disabled={remove.busy} onClick={() => void remove.run()}>
            {t('creatorVideos.delete')}
          </button>
        )}
        {remove.error !== null && <small class="form-error">{errorText(remove.error)}</small>}
      </td>
    </tr>
  );
}
