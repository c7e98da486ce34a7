// A creator's own analytics under Me (issue 18): over the last 7 or 30 days, the GMV their short videos, share
// links and live sessions drove and its paid orders, the commissions earned on those days, how their videos are
// watched through and interacted with, and each video's figures in a table sorted by any column.
import { useState } from 'preact/hooks';
import { DayPresets, formatCount, lastDays, SortableTable } from '../console/AnalyticsParts.tsx';
import { formatPercent, useVideosWithStats } from '../shared/CreatorVideos.tsx';
import { get, query } from '../shared/api.ts';
import { formatMoney } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import type { CreatorAnalytics as Analytics } from '../shared/types.ts';
import { Loaded, useResource } from '../shared/ui.tsx';
import { MePage, Stat } from './MePage.tsx';
import './creator-analytics.css';
import '../shared/locales/analytics.ts';

const PRESETS = [7, 30] as const;

export function CreatorAnalytics() {
  return (
    <MePage title={t('analytics.creator.title')} testId="creator-analytics">
      <CreatorAnalyticsBody />
    </MePage>
  );
}

function CreatorAnalyticsBody() {
  // Days as the creator lives them: at their own time zone.
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const [days, setDays] = useState<number>(7);
  const range = lastDays(days, timeZone);
  const analytics = useResource(
    (signal) => get<{ analytics: Analytics }>(`/me/creator-analytics${query({ ...range, tz: timeZone })}`, signal).then((r) => r.analytics),
    [range.from, range.to],
  );
  const videos = useVideosWithStats('/me/video-stats?limit=100');
  const titles = Object.fromEntries((videos.data ?? []).map(({ video }) => [video.id, video.title]));
  return (
    <div class="analytics creator-analytics">
      <DayPresets choices={PRESETS} days={days} onChange={setDays} label={t('analytics.creator.period')} />
      <div class={analytics.loading && analytics.data ? 'report report-loading' : 'report'} aria-busy={analytics.loading}>
        <Loaded resource={analytics}>
          {(a) => (
            <>
              <section class="card stats" data-testid="creator-figures">
                <Stat label={t('analytics.creator.gmv')} value={formatMoney(a.gmv)} testId="creator-gmv" />
                <Stat label={t('analytics.creator.paidOrders')} value={formatCount(a.paidOrders)} testId="creator-paid-orders" />
                <Stat label={t('analytics.creator.pending')} value={formatMoney(a.commissions.pending)} testId="creator-commission-pending" tone="warn" />
                <Stat label={t('analytics.creator.settled')} value={formatMoney(a.commissions.settled)} testId="creator-commission-settled" tone="ok" />
                <Stat label={t('analytics.creator.completionRate')} value={formatPercent(a.completionRate)} testId="creator-completion" />
                <Stat label={t('analytics.creator.interactionRate')} value={formatPercent(a.interactionRate)} testId="creator-interaction" />
              </section>
              <p class="hint">{t('analytics.creator.hint')}</p>
              <section class="card">
                <h2>{t('analytics.creator.videos')}</h2>
                <SortableTable
                  testId="creator-videos"
                  caption={t('analytics.creator.videos')}
                  empty={t('analytics.creator.empty')}
                  rows={a.videos}
                  rowKey={(v) => v.videoId}
                  columns={[
                    { key: 'video', label: t('analytics.videos.video'), sort: (v) => titles[v.videoId] ?? v.videoId, render: (v) => titles[v.videoId] ?? v.videoId },
                    { key: 'impressions', label: t('analytics.videos.impressions'), numeric: true, sort: (v) => v.impressions, render: (v) => formatCount(v.impressions) },
                    { key: 'plays', label: t('analytics.videos.plays'), numeric: true, sort: (v) => v.plays, render: (v) => formatCount(v.plays) },
                    { key: 'completionRate', label: t('analytics.videos.completionRate'), numeric: true, sort: (v) => v.completionRate, render: (v) => formatPercent(v.completionRate) },
                    { key: 'interactionRate', label: t('analytics.creator.interaction'), numeric: true, sort: (v) => v.interactionRate, render: (v) => formatPercent(v.interactionRate) },
                    { key: 'likes', label: t('analytics.kpi.likes'), numeric: true, sort: (v) => v.likes, render: (v) => formatCount(v.likes) },
                    { key: 'comments', label: t('analytics.kpi.comments'), numeric: true, sort: (v) => v.comments, render: (v) => formatCount(v.comments) },
                  ]}
                />
              </section>
            </>
          )}
        </Loaded>
      </div>
    </div>
  );
}
