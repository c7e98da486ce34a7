// The live dashboard beside the live control page (issue 18): who is in the room and how the session sells, asked
// again every 2 s while it is live and the tab is on screen — figures with the last 10 minutes against the 10
// before, the online curve, the funnel, traffic sources, drops, and each table as CSV.
import { useEffect, useMemo, useRef } from 'preact/hooks';
import type uPlot from 'uplot';
import { get } from '../shared/api.ts';
import { formatPercent } from '../shared/CreatorVideos.tsx';
import { formatMoney } from '../shared/format.ts';
import { language, t } from '../shared/i18n.ts';
import { Link } from '../shared/router.tsx';
import type { AnalyticsWindow, DropFigures, LiveAnalytics as Analytics, TrafficSource } from '../shared/types.ts';
import { Loaded, useInterval, useResource } from '../shared/ui.tsx';
import { CsvButton, formatCount, formatDuration, fromZero, FunnelBars, PanelHead, Plot, SortableTable, Tile, Trend, usePageVisible } from './AnalyticsParts.tsx';
import '../shared/locales/analytics.ts';

/** How often the dashboard asks while the session is live (the freshness is 5 s from event to screen). */
const LIVE_REFRESH_MS = 2000;
/** Before it starts, often enough to notice it went live. */
const SCHEDULED_REFRESH_MS = 10_000;

const PRIVATE: readonly TrafficSource[] = ['share', 'follow'];

export function LiveAnalytics({ id }: { id: string }) {
  const analytics = useResource((signal) => get<{ analytics: Analytics }>(`/live-sessions/${id}/analytics`, signal).then((r) => r.analytics), [id]);
  const visible = usePageVisible();
  const status = analytics.data?.session.status;
  // A tick while the last answer is still on its way waits for it: reloading would abort it, and a server slower
  // than the tick would then never answer at all.
  const tick = () => !analytics.loading && analytics.reload();
  useInterval(tick, status === 'live' ? LIVE_REFRESH_MS : SCHEDULED_REFRESH_MS, visible && (status === 'live' || status === 'scheduled'));
  // Back on screen: the figures at once, not after the next tick.
  const wasVisible = useRef(visible);
  useEffect(() => {
    if (visible && !wasVisible.current && status !== 'ended') analytics.reload();
    wasVisible.current = visible;
  }, [visible]);
  return <Loaded resource={analytics}>{(a) => <Dashboard a={a} paused={!visible} stale={analytics.error !== null} />}</Loaded>;
}

function Dashboard({ a, paused, stale }: { a: Analytics; paused: boolean; stale: boolean }) {
  const f = a.figures;
  const csv = (table: string) => `/live-sessions/${a.session.id}/analytics.csv?table=${table}`;
  const trend = (key: keyof AnalyticsWindow, money = false) => <Trend now={a.last10[key]} before={a.previous10[key]} money={money} />;
  return (
    <div class="analytics" data-testid="live-analytics" data-generated-at={a.generatedAt}>
      <header class="page-head">
        <div>
          <p class="muted">
            <Link href="/console/live">{t('live.title')}</Link> › <Link href={`/console/live/${a.session.id}`}>{a.session.title}</Link> ›
          </p>
          <h1>{t('analytics.liveTitle')}</h1>
        </div>
        <span class={`badge badge-${a.session.status === 'live' ? 'live' : a.session.status === 'scheduled' ? 'info' : 'muted'}`} data-testid="analytics-status">
          {t(`live.statuses.${a.session.status}`)}
        </span>
        <p class="muted updated" data-testid="analytics-updated">
          {t('analytics.updated', { time: new Date(a.generatedAt).toLocaleTimeString(language()) })}
          {a.session.status === 'live' && (paused ? ` · ${t('analytics.paused')}` : ` · ${t('analytics.refreshing')}`)}
          {stale && ` · ${t('analytics.stale')}`}
        </p>
      </header>
      {a.session.status === 'ended' && <p class="banner">{t('analytics.endedNote')}</p>}

      <section class="panel">
        <PanelHead title={t('analytics.figures')}>
          <span class="muted small">{t('analytics.vsBefore')}</span>
        </PanelHead>
        <div class="figures tiles" data-testid="live-kpis">
          <Tile label={t('analytics.kpi.onlineNow')} value={formatCount(a.onlineNow)} testId="kpi-online-now" />
          <Tile label={t('analytics.kpi.peakOnline')} value={formatCount(f.peakOnline)} testId="kpi-peak-online" />
          <Tile label={t('analytics.kpi.uniqueViewers')} value={formatCount(f.uniqueViewers)} testId="kpi-unique-viewers" trend={trend('uniqueViewers')} />
          <Tile label={t('analytics.kpi.views')} value={formatCount(f.views)} testId="kpi-views" trend={trend('views')} />
          <Tile label={t('analytics.kpi.averageWatch')} value={formatDuration(f.averageWatchMs)} testId="kpi-average-watch" />
          <Tile label={t('analytics.kpi.gmv')} value={formatMoney(f.gmv)} testId="kpi-gmv" trend={trend('gmv', true)} />
          <Tile label={t('analytics.kpi.verifiedGmv')} value={formatMoney(f.verifiedGmv)} testId="kpi-verified-gmv" hint={t('analytics.kpi.verifiedGmvHint')} />
          <Tile label={t('analytics.kpi.gpm')} value={formatMoney(f.gpm)} testId="kpi-gpm" hint={t('analytics.kpi.gpmHint')} />
          <Tile label={t('analytics.kpi.gpmPerViewer')} value={formatMoney(f.gpmPerViewer)} testId="kpi-gpm-viewer" />
          <Tile label={t('analytics.kpi.paidOrders')} value={formatCount(f.paidOrders)} testId="kpi-paid-orders" trend={trend('paidOrders')} />
          <Tile label={t('analytics.kpi.buyers')} value={formatCount(f.buyers)} testId="kpi-buyers" />
          <Tile label={t('analytics.kpi.cardImpressions')} value={formatCount(f.cardImpressions)} testId="kpi-card-impressions" />
          <Tile label={t('analytics.kpi.cardClicks')} value={formatCount(f.cardClicks)} testId="kpi-card-clicks" trend={trend('cardClicks')} />
          <Tile label={t('analytics.kpi.newFollowers')} value={formatCount(f.newFollowers)} testId="kpi-new-followers" />
          <Tile label={t('analytics.kpi.likes')} value={formatCount(f.likes)} testId="kpi-likes" trend={trend('likes')} />
          <Tile label={t('analytics.kpi.comments')} value={formatCount(f.comments)} testId="kpi-comments" trend={trend('comments')} />
          <Tile label={t('analytics.kpi.shares')} value={formatCount(f.shares)} testId="kpi-shares" />
          <Tile label={t('analytics.kpi.tips')} value={`${formatCount(f.tips)} · ${formatMoney(f.tipAmount)}`} testId="kpi-tips" />
        </div>
      </section>

      <section class="panel">
        <PanelHead title={t('analytics.online.title')}>
          <CsvButton path={csv('online')} filename="online.csv" label={t('analytics.online.title')} />
        </PanelHead>
        <OnlineCurve online={f.online} onlineNow={a.onlineNow} peak={f.peakOnline} since={a.session.startedAt} until={a.session.endedAt ?? a.generatedAt} />
      </section>

      <div class="analytics-grid">
        <section class="panel">
          <PanelHead title={t('analytics.funnel.title')}>
            <CsvButton path={csv('funnel')} filename="funnel.csv" label={t('analytics.funnel.title')} />
          </PanelHead>
          <FunnelBars steps={f.funnel.map((s) => ({ key: s.step, label: t(`analytics.funnel.steps.${s.step}`), users: s.users }))} testId="live-funnel" />
        </section>
        <section class="panel">
          <PanelHead title={t('analytics.sources.title')}>
            <CsvButton path={csv('sources')} filename="sources.csv" label={t('analytics.sources.title')} />
          </PanelHead>
          <SortableTable
            testId="live-sources"
            caption={t('analytics.sources.title')}
            empty={t('analytics.sources.empty')}
            // Every source is listed, zeros too: only those that brought anyone are rows.
            rows={f.sources.filter((s) => s.viewers > 0 || s.paidOrders > 0 || s.gmv > 0)}
            rowKey={(s) => s.source}
            columns={[
              { key: 'source', label: t('analytics.sources.source'), sort: (s) => t(`analytics.sources.names.${s.source}`), render: (s) => t(`analytics.sources.names.${s.source}`) },
              {
                key: 'kind',
                label: t('analytics.sources.kind'),
                sort: (s) => (PRIVATE.includes(s.source) ? 0 : 1),
                render: (s) => (PRIVATE.includes(s.source) ? <span class="badge badge-info">{t('analytics.sources.private')}</span> : <span class="badge">{t('analytics.sources.public')}</span>),
              },
              { key: 'viewers', label: t('analytics.sources.viewers'), numeric: true, sort: (s) => s.viewers, render: (s) => formatCount(s.viewers) },
              { key: 'paidOrders', label: t('analytics.kpi.paidOrders'), numeric: true, sort: (s) => s.paidOrders, render: (s) => formatCount(s.paidOrders) },
              { key: 'gmv', label: t('analytics.kpi.gmv'), numeric: true, sort: (s) => s.gmv, render: (s) => formatMoney(s.gmv) },
            ]}
          />
        </section>
      </div>

      <section class="panel">
        <PanelHead title={t('analytics.drops.title')}>
          <CsvButton path={csv('drops')} filename="drops.csv" label={t('analytics.drops.title')} />
        </PanelHead>
        <SortableTable<DropFigures>
          testId="live-drops"
          caption={t('analytics.drops.title')}
          empty={t('analytics.drops.empty')}
          rows={a.drops}
          rowKey={(d) => d.dropId}
          columns={[
            { key: 'title', label: t('analytics.drops.product'), sort: (d) => d.title, render: (d) => d.title },
            { key: 'stock', label: t('analytics.drops.stock'), numeric: true, sort: (d) => d.stock, render: (d) => formatCount(d.stock) },
            { key: 'sold', label: t('analytics.drops.sold'), numeric: true, sort: (d) => d.sold, render: (d) => formatCount(d.sold) },
            { key: 'sellThrough', label: t('analytics.drops.sellThrough'), numeric: true, sort: (d) => d.sellThrough, render: (d) => formatPercent(d.sellThrough) },
            {
              key: 'soldOut',
              label: t('analytics.drops.soldOutAfter'),
              numeric: true,
              // Not sold out sorts after every sold-out time.
              sort: (d) => d.soldOutAfterMs ?? Number.MAX_SAFE_INTEGER,
              render: (d) => (d.soldOutAfterMs === null ? <span class="muted">{t('analytics.drops.notSoldOut')}</span> : formatDuration(d.soldOutAfterMs)),
            },
          ]}
        />
      </section>
    </div>
  );
}

function OnlineCurve({ online, onlineNow, peak, since, until }: { online: Analytics['figures']['online']; onlineNow: number; peak: number; since: string | null; until: string }) {
  const lang = language();
  // From the start of the session to now (or its end), whatever has samples: the first minutes are not stretched
  // over years, and the curve grows to the right as the session goes on.
  const minute = (iso: string | null, fallback: number) => (iso ? Math.floor(Date.parse(iso) / 60_000) * 60 : fallback);
  const first = online.length ? online[0].minute / 1000 : 0;
  const last = online.length ? online[online.length - 1].minute / 1000 : 0;
  const start = Math.min(minute(since, first), first || Infinity);
  const end = Math.max(minute(until, last), last, start + 60);
  const span = useRef({ start, end });
  span.current = { start, end };
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(
    () => ({
      scales: { x: { time: true, range: () => [span.current.start, span.current.end] }, y: { auto: true, range: fromZero } },
      axes: [{ stroke: '#888' }, { stroke: '#888', size: 50 }],
      series: [
        { label: t('analytics.online.minute'), value: (_u, v) => (v == null ? '—' : new Date(v * 1000).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' })) },
        { label: t('analytics.online.viewers'), stroke: '#ff2d55', fill: 'rgba(255,45,85,0.12)', width: 2, points: { show: online.length < 60 } },
      ],
    }),
    [lang, online.length < 60],
  );
  const data = useMemo<uPlot.AlignedData>(() => [online.map((p) => p.minute / 1000), online.map((p) => p.online)], [online]);
  if (online.length === 0) return <p class="muted" data-testid="online-empty">{t('analytics.online.empty')}</p>;
  const top = online.reduce((best, p) => (p.online > best.online ? p : best), online[0]);
  const summary = t('analytics.online.summary', {
    now: formatCount(onlineNow),
    peak: formatCount(peak),
    time: new Date(top.minute).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' }),
    minutes: online.length,
  });
  return <Plot options={options} data={data} summary={summary} testId="online-chart" />;
}
