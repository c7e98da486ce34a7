// The platform's analytics for the operator (issue 18): over the last 7, 30 or 90 days, days at a time zone —
// monthly active users and how many of them come daily, GMV, paid orders and the take rate, daily active users and
// GMV day by day, the weekly retention cohorts, and what people search for (and find nothing for).
import { useMemo, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { get, query } from '../shared/api.ts';
import { formatPercent } from '../shared/CreatorVideos.tsx';
import { formatMoney } from '../shared/format.ts';
import { language, t } from '../shared/i18n.ts';
import { Link } from '../shared/router.tsx';
import type { PlatformAnalytics as Analytics, SearchQueryFigures } from '../shared/types.ts';
import { Empty, Loaded, useResource } from '../shared/ui.tsx';
import { DayPresets, DEFAULT_TIME_ZONE, formatCount, gmvSeries, lastDays, PanelHead, periodAxes, Plot, SortableTable, Tile, ZoneSelect } from './AnalyticsParts.tsx';
import '../shared/locales/analytics.ts';

const PRESETS = [7, 30, 90] as const;

export function PlatformAnalytics() {
  const [timeZone, setTimeZone] = useState(DEFAULT_TIME_ZONE);
  const [days, setDays] = useState<number>(7);
  const range = lastDays(days, timeZone);
  const analytics = useResource(
    (signal) => get<{ analytics: Analytics }>(`/admin/analytics${query({ ...range, tz: timeZone })}`, signal).then((r) => r.analytics),
    [range.from, range.to, timeZone],
  );
  return (
    <div class="analytics" data-testid="platform-analytics">
      <header class="page-head">
        <h1>{t('analytics.platform.title')}</h1>
        <Link class="actions" href="/console/operator">
          {t('operator.title')}
        </Link>
      </header>
      <section class="panel analytics-controls" aria-label={t('analytics.platform.period')}>
        <DayPresets choices={PRESETS} days={days} onChange={setDays} label={t('analytics.platform.period')} />
        <ZoneSelect value={timeZone} onChange={setTimeZone} />
      </section>
      {/* Another period's figures on their way: the ones shown are dimmed until they come. */}
      <div class={analytics.loading && analytics.data ? 'report report-loading' : 'report'} aria-busy={analytics.loading}>
        <Loaded resource={analytics}>{(a) => <Report a={a} />}</Loaded>
      </div>
    </div>
  );
}

function Report({ a }: { a: Analytics }) {
  const lang = language();
  const week = (at: number) => new Date(at).toLocaleDateString(lang, { timeZone: a.timeZone, dateStyle: 'medium' });
  // null: not known yet (the day has not passed for every member of the week).
  const retention = (share: number | null) => (share === null ? '—' : formatPercent(share));
  const queryColumns = (zero: boolean) => [
    { key: 'text', label: t('analytics.platform.queries.text'), sort: (q: SearchQueryFigures) => q.text, render: (q: SearchQueryFigures) => q.text },
    { key: 'searches', label: t('analytics.platform.queries.searches'), numeric: true, sort: (q: SearchQueryFigures) => q.searches, render: (q: SearchQueryFigures) => formatCount(q.searches) },
    zero
      ? { key: 'zeroResults', label: t('analytics.platform.queries.zeroResults'), numeric: true, sort: (q: SearchQueryFigures) => q.zeroResults, render: (q: SearchQueryFigures) => formatCount(q.zeroResults) }
      : { key: 'clicks', label: t('analytics.platform.queries.clicks'), numeric: true, sort: (q: SearchQueryFigures) => q.clicks, render: (q: SearchQueryFigures) => formatCount(q.clicks) },
  ];
  return (
    <>
      <section class="panel">
        <h2 class="visually-hidden">{t('analytics.figures')}</h2>
        <div class="figures tiles" data-testid="platform-totals">
          <Tile label={t('analytics.platform.mau')} value={formatCount(a.monthlyActiveUsers)} testId="platform-mau" hint={t('analytics.platform.mauHint')} />
          <Tile label={t('analytics.platform.dauOverMau')} value={formatPercent(a.dauOverMau)} testId="platform-dau-mau" hint={t('analytics.platform.dauOverMauHint')} />
          <Tile label={t('analytics.kpi.gmv')} value={formatMoney(a.gmv)} testId="platform-gmv" />
          <Tile label={t('analytics.kpi.paidOrders')} value={formatCount(a.paidOrders)} testId="platform-paid-orders" />
          <Tile
            label={t('analytics.platform.takeRate')}
            value={a.gmv > 0 ? formatPercent(a.takeRate) : '—'}
            testId="platform-take-rate"
            hint={t('analytics.platform.takeRateHint')}
            trend={
              <span class="muted small" data-testid="platform-fees">
                {t('analytics.platform.fees', { fees: formatMoney(a.platformFees) })}
              </span>
            }
          />
        </div>
      </section>

      <section class="panel">
        <PanelHead title={t('analytics.platform.chartTitle')} />
        {a.daily.every((d) => d.activeUsers === 0 && d.gmv === 0) ? <Empty icon="compass" title={t('analytics.platform.empty')} /> : <DailyChart a={a} />}
      </section>

      <section class="panel">
        <PanelHead title={t('analytics.platform.cohorts.title')} />
        <p class="muted small">{t('analytics.platform.cohorts.hint')}</p>
        <SortableTable
          testId="platform-cohorts"
          caption={t('analytics.platform.cohorts.title')}
          empty={t('analytics.platform.cohorts.empty')}
          rows={a.cohorts}
          rowKey={(c) => String(c.week)}
          columns={[
            { key: 'week', label: t('analytics.platform.cohorts.week'), sort: (c) => c.week, render: (c) => week(c.week) },
            { key: 'users', label: t('analytics.platform.cohorts.users'), numeric: true, sort: (c) => c.users, render: (c) => formatCount(c.users) },
            // Not known yet sorts below every known share.
            { key: 'day1', label: t('analytics.platform.cohorts.day1'), numeric: true, sort: (c) => c.day1 ?? -1, render: (c) => retention(c.day1) },
            { key: 'day7', label: t('analytics.platform.cohorts.day7'), numeric: true, sort: (c) => c.day7 ?? -1, render: (c) => retention(c.day7) },
            { key: 'day30', label: t('analytics.platform.cohorts.day30'), numeric: true, sort: (c) => c.day30 ?? -1, render: (c) => retention(c.day30) },
          ]}
        />
      </section>

      <div class="analytics-grid">
        <section class="panel">
          <PanelHead title={t('analytics.platform.queries.top')} />
          <SortableTable testId="platform-top-queries" caption={t('analytics.platform.queries.top')} empty={t('analytics.platform.queries.emptyTop')} rows={a.topQueries} rowKey={(q) => q.text} columns={queryColumns(false)} />
        </section>
        <section class="panel">
          <PanelHead title={t('analytics.platform.queries.zero')}>
            <span class="muted small">{t('analytics.platform.queries.zeroNote')}</span>
          </PanelHead>
          <SortableTable testId="platform-zero-queries" caption={t('analytics.platform.queries.zero')} empty={t('analytics.platform.queries.emptyZero')} rows={a.zeroQueries} rowKey={(q) => q.text} columns={queryColumns(true)} />
        </section>
      </div>
    </>
  );
}

/** Daily active users (right axis, counts) and GMV (left axis, ¥) per day at the report's time zone. */
function DailyChart({ a }: { a: Analytics }) {
  const lang = language();
  const day = (ms: number) => new Date(ms).toLocaleDateString(lang, { timeZone: a.timeZone, dateStyle: 'medium' });
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(
    () => ({
      ...periodAxes(a),
      series: [
        { label: t('analytics.platform.day'), value: (_u, v) => (v == null ? '—' : day(v * 1000)) },
        gmvSeries(),
        { label: t('analytics.platform.activeUsers'), scale: 'count', stroke: '#2f80ed', width: 2 },
      ],
    }),
    [lang, a.timeZone, a.from, a.to],
  );
  const data = useMemo<uPlot.AlignedData>(() => [a.daily.map((d) => d.at / 1000), a.daily.map((d) => d.gmv / 100), a.daily.map((d) => d.activeUsers)], [a]);
  const peak = a.daily.reduce((top, d) => (d.activeUsers > top.activeUsers ? d : top), a.daily[0]);
  const summary = t('analytics.platform.chartSummary', {
    days: a.daily.length,
    peak: formatCount(peak?.activeUsers ?? 0),
    peakDay: peak && peak.activeUsers > 0 ? day(peak.at) : '—',
    gmv: formatMoney(a.gmv),
    orders: formatCount(a.paidOrders),
  });
  return <Plot options={options} data={data} summary={summary} testId="platform-chart" height={280} />;
}
