// The shop's analytics (issue 18): over today, 7 or 30 days or any dates, by day or hour at the shop's time zone
// (Asia/Shanghai unless the merchant picks their own): GMV, orders and visitors over time, totals, channels, the
// funnel, and the products, lives and videos that sold, each table sortable and downloadable as CSV.
import { useMemo, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { get, query } from '../shared/api.ts';
import { formatPercent } from '../shared/CreatorVideos.tsx';
import type { VideoWithStats } from '../shared/CreatorVideos.tsx';
import { formatMoney } from '../shared/format.ts';
import { language, t } from '../shared/i18n.ts';
import { Link } from '../shared/router.tsx';
import type { LiveSession, Product, Shop, ShopAnalytics as Analytics } from '../shared/types.ts';
import { Empty, Loaded, useResource } from '../shared/ui.tsx';
import { addDays, CsvButton, dateAt, dayStart, DEFAULT_TIME_ZONE, formatCount, FunnelBars, gmvSeries, PanelHead, periodAxes, Plot, SortableTable, Tile, ZoneSelect } from './AnalyticsParts.tsx';
import '../shared/locales/analytics.ts';

const PRESETS = ['today', 'days7', 'days30', 'custom'] as const;
type Preset = (typeof PRESETS)[number];
const PRESET_DAYS: Record<Exclude<Preset, 'custom'>, number> = { today: 1, days7: 7, days30: 30 };
const DAY_MS = 86_400_000;
/** The API's limits: a range of at most 400 days, hourly figures over at most 31. */
const MAX_DAYS = 400;
const MAX_HOURLY_DAYS = 31;

interface Period {
  preset: Preset;
  /** The first and last day shown, both included. */
  first: string;
  last: string;
}

/** How many days a period covers, both ends included. */
const periodDays = (p: Period) => Math.round((Date.parse(`${p.last}T00:00:00Z`) - Date.parse(`${p.first}T00:00:00Z`)) / DAY_MS) + 1;

function presetPeriod(preset: Exclude<Preset, 'custom'>, timeZone: string): Period {
  const last = dateAt(timeZone, Date.now());
  return { preset, first: addDays(last, 1 - PRESET_DAYS[preset]), last };
}

export function ShopAnalytics({ shop }: { shop: Shop }) {
  const [timeZone, setTimeZone] = useState(DEFAULT_TIME_ZONE);
  const [period, setPeriod] = useState<Period>(() => presetPeriod('days7', DEFAULT_TIME_ZONE));
  const [chosenBucket, setBucket] = useState<'day' | 'hour'>('day');
  const days = periodDays(period);
  const bucket = days > MAX_HOURLY_DAYS ? 'day' : chosenBucket;
  const params = { from: new Date(dayStart(period.first, timeZone)).toISOString(), to: new Date(dayStart(addDays(period.last, 1), timeZone)).toISOString(), bucket, tz: timeZone };
  const analytics = useResource(
    (signal) => get<{ analytics: Analytics }>(`/shops/${shop.id}/analytics${query(params)}`, signal).then((r) => r.analytics),
    [shop.id, params.from, params.to, bucket, timeZone],
  );
  const names = useNames(shop.id);
  const choose = (preset: Preset) => {
    if (preset === 'custom') return setPeriod({ ...period, preset });
    setPeriod(presetPeriod(preset, timeZone));
    // One day reads best hour by hour; longer periods day by day.
    setBucket(preset === 'today' ? 'hour' : 'day');
  };
  const rezone = (zone: string) => {
    setTimeZone(zone);
    if (period.preset !== 'custom') setPeriod(presetPeriod(period.preset, zone));
  };
  const csv = (table: string) => `/shops/${shop.id}/analytics.csv${query({ table, ...params })}`;

  return (
    <div class="analytics" data-testid="shop-analytics">
      <header class="page-head">
        <h1>{t('analytics.title')}</h1>
      </header>
      <section class="panel analytics-controls" aria-label={t('analytics.shop.period')}>
        <div class="filters" role="group" aria-label={t('analytics.shop.period')}>
          {PRESETS.map((p) => (
            <button key={p} type="button" class={p === period.preset ? 'chip chip-on' : 'chip'} aria-pressed={p === period.preset} onClick={() => choose(p)} data-preset={p}>
              {t(`analytics.shop.presets.${p}`)}
            </button>
          ))}
        </div>
        {period.preset === 'custom' && <CustomPeriod period={period} onChange={setPeriod} />}
        <div class="filters" role="group" aria-label={t('analytics.shop.bucket')}>
          {(['day', 'hour'] as const).map((b) => (
            <button
              key={b}
              type="button"
              class={b === bucket ? 'chip chip-on' : 'chip'}
              aria-pressed={b === bucket}
              disabled={b === 'hour' && days > MAX_HOURLY_DAYS}
              title={b === 'hour' && days > MAX_HOURLY_DAYS ? t('analytics.shop.hourlyLimit', { n: MAX_HOURLY_DAYS }) : undefined}
              onClick={() => setBucket(b)}
              data-bucket={b}
            >
              {t(`analytics.shop.buckets.${b}`)}
            </button>
          ))}
        </div>
        <ZoneSelect value={timeZone} onChange={rezone} />
      </section>
      {/* Another period's figures on their way: the ones shown are dimmed until they come. */}
      <div class={analytics.loading && analytics.data ? 'report report-loading' : 'report'} aria-busy={analytics.loading}>
        <Loaded resource={analytics}>{(a) => <Report a={a} names={names} csv={csv} />}</Loaded>
      </div>
    </div>
  );
}

function CustomPeriod({ period, onChange }: { period: Period; onChange(p: Period): void }) {
  const [first, setFirst] = useState(period.first);
  const [last, setLast] = useState(period.last);
  const well = /^\d{4}-\d{2}-\d{2}$/.test(first) && /^\d{4}-\d{2}-\d{2}$/.test(last) && first <= last;
  const tooLong = well && periodDays({ preset: 'custom', first, last }) > MAX_DAYS;
  const valid = well && !tooLong;
  const apply = (e: Event) => {
    e.preventDefault();
    if (valid) onChange({ preset: 'custom', first, last });
  };
  return (
    <form class="inline custom-period" onSubmit={apply} data-testid="custom-period">
      <label>
        {t('analytics.shop.from')}
        <input type="date" name="from" required value={first} max={last} onInput={(e) => setFirst(e.currentTarget.value)} />
      </label>
      <label>
        {t('analytics.shop.to')}
        <input type="date" name="to" required value={last} min={first} onInput={(e) => setLast(e.currentTarget.value)} />
      </label>
      <button class="btn btn-small" type="submit" disabled={!valid}>
        {t('analytics.shop.apply')}
      </button>
      {!well && <span class="form-error">{t('analytics.shop.badPeriod')}</span>}
      {tooLong && <span class="form-error">{t('analytics.shop.tooLong', { n: MAX_DAYS })}</span>}
    </form>
  );
}

interface Names {
  products: Record<string, string>;
  lives: Record<string, string>;
  videos: Record<string, string>;
}

/**
 * The titles of the shop's products, live sessions and videos: the figures carry ids only. Asked once per shop; a
 * title that did not load leaves its id on screen, which is still the right row.
 */
function useNames(shopId: string): Names {
  const load = <T,>(path: string, pick: (body: T) => [string, string][]) => (signal: AbortSignal) =>
    get<T>(path, signal).then((body) => Object.fromEntries(pick(body)) as Record<string, string>);
  const products = useResource(load<{ products: Product[] }>(`/shops/${shopId}/products?limit=200`, (b) => b.products.map((p) => [p.id, p.title])), [shopId]);
  const lives = useResource(load<{ liveSessions: LiveSession[] }>(`/shops/${shopId}/live-sessions?limit=100`, (b) => b.liveSessions.map((s) => [s.id, s.title])), [shopId]);
  const videos = useResource(load<{ videos: VideoWithStats[] }>(`/shops/${shopId}/video-stats?limit=100`, (b) => b.videos.map((v) => [v.video.id, v.video.title])), [shopId]);
  return { products: products.data ?? {}, lives: lives.data ?? {}, videos: videos.data ?? {} };
}

function Report({ a, names, csv }: { a: Analytics; names: Names; csv(table: string): string }) {
  const nothing = a.paidOrders === 0 && a.visitors === 0 && a.series.every((s) => s.gmv === 0 && s.visitors === 0);
  const totalChannelGmv = a.channels.reduce((sum, c) => sum + c.gmv, 0);
  return (
    <>
      <section class="panel">
        <h2 class="visually-hidden">{t('analytics.figures')}</h2>
        <div class="figures tiles" data-testid="shop-totals">
          <Tile label={t('analytics.kpi.gmv')} value={formatMoney(a.gmv)} testId="total-gmv" />
          <Tile label={t('analytics.kpi.verifiedGmv')} value={formatMoney(a.verifiedGmv)} testId="total-verified-gmv" hint={t('analytics.kpi.verifiedGmvHint')} />
          <Tile label={t('analytics.kpi.paidOrders')} value={formatCount(a.paidOrders)} testId="total-paid-orders" />
          <Tile label={t('analytics.kpi.buyers')} value={formatCount(a.buyers)} testId="total-buyers" />
          <Tile label={t('analytics.shop.aov')} value={formatMoney(a.averageOrderValue)} testId="total-aov" />
          <Tile label={t('analytics.shop.refundRate')} value={formatPercent(a.refundRate)} testId="total-refund-rate" />
          <Tile label={t('analytics.shop.newVsReturning')} value={`${formatCount(a.newBuyers)} / ${formatCount(a.returningBuyers)}`} testId="total-new-returning" />
          <Tile label={t('analytics.shop.repurchaseRate')} value={formatPercent(a.repurchaseRate)} testId="total-repurchase" />
          <Tile label={t('analytics.shop.visitors')} value={formatCount(a.visitors)} testId="total-visitors" />
          <Tile
            label={t('analytics.shop.privateShare')}
            value={`${formatCount(a.traffic.private)} : ${formatCount(a.traffic.public)}`}
            testId="total-private-share"
            trend={<span class="muted small">{t('analytics.shop.privatePercent', { share: formatPercent(a.traffic.privateShare) })}</span>}
          />
        </div>
      </section>

      <section class="panel">
        <PanelHead title={t('analytics.shop.chartTitle')}>
          <CsvButton path={csv('series')} filename="series.csv" label={t('analytics.shop.chartTitle')} />
        </PanelHead>
        {nothing ? <Empty icon="compass" title={t('analytics.shop.empty')} hint={t('analytics.shop.emptyHint')} /> : <SeriesChart a={a} />}
      </section>

      <div class="analytics-grid">
        <section class="panel">
          <PanelHead title={t('analytics.channels.title')}>
            <CsvButton path={csv('channels')} filename="channels.csv" label={t('analytics.channels.title')} />
          </PanelHead>
          <SortableTable
            testId="shop-channels"
            caption={t('analytics.channels.title')}
            empty={t('analytics.channels.empty')}
            rows={a.channels.filter((c) => c.paidOrders > 0 || c.gmv > 0)}
            rowKey={(c) => c.channel}
            columns={[
              { key: 'channel', label: t('analytics.channels.channel'), sort: (c) => t(`analytics.channels.names.${c.channel}`), render: (c) => t(`analytics.channels.names.${c.channel}`) },
              { key: 'gmv', label: t('analytics.kpi.gmv'), numeric: true, sort: (c) => c.gmv, render: (c) => formatMoney(c.gmv) },
              {
                key: 'share',
                label: t('analytics.channels.share'),
                numeric: true,
                sort: (c) => c.gmv,
                render: (c) => (
                  <span class="share-cell">
                    <span class="share-bar" aria-hidden="true" style={{ width: `${totalChannelGmv > 0 ? (c.gmv / totalChannelGmv) * 100 : 0}%` }} />
                    {totalChannelGmv > 0 ? formatPercent(c.gmv / totalChannelGmv) : '—'}
                  </span>
                ),
              },
              { key: 'paidOrders', label: t('analytics.kpi.paidOrders'), numeric: true, sort: (c) => c.paidOrders, render: (c) => formatCount(c.paidOrders) },
            ]}
          />
        </section>
        <section class="panel">
          <PanelHead title={t('analytics.funnel.title')} />
          {/* A shop's click is a product card's or a product page's, not only a card's as in a live room. */}
          <FunnelBars steps={a.funnel.map((s) => ({ key: s.step, label: t(`analytics.funnel.steps.${s.step === 'clicked' ? 'clickedProduct' : s.step}`), users: s.users }))} testId="shop-funnel" />
        </section>
      </div>

      <section class="panel">
        <PanelHead title={t('analytics.products.title')}>
          <CsvButton path={csv('topProducts')} filename="top-products.csv" label={t('analytics.products.title')} />
        </PanelHead>
        <SortableTable
          testId="shop-top-products"
          caption={t('analytics.products.title')}
          empty={t('analytics.products.empty')}
          rows={a.topProducts}
          rowKey={(p) => p.productId}
          columns={[
            { key: 'product', label: t('analytics.products.product'), sort: (p) => names.products[p.productId] ?? p.productId, render: (p) => names.products[p.productId] ?? p.productId },
            { key: 'units', label: t('analytics.products.units'), numeric: true, sort: (p) => p.units, render: (p) => formatCount(p.units) },
            { key: 'paidOrders', label: t('analytics.kpi.paidOrders'), numeric: true, sort: (p) => p.paidOrders, render: (p) => formatCount(p.paidOrders) },
            { key: 'gmv', label: t('analytics.kpi.gmv'), numeric: true, sort: (p) => p.gmv, render: (p) => formatMoney(p.gmv) },
          ]}
        />
      </section>

      <section class="panel">
        <PanelHead title={t('analytics.lives.title')}>
          <CsvButton path={csv('lives')} filename="lives.csv" label={t('analytics.lives.title')} />
        </PanelHead>
        <SortableTable
          testId="shop-lives"
          caption={t('analytics.lives.title')}
          empty={t('analytics.lives.empty')}
          rows={a.lives}
          rowKey={(l) => l.sessionId}
          columns={[
            {
              key: 'session',
              label: t('analytics.lives.session'),
              sort: (l) => names.lives[l.sessionId] ?? l.sessionId,
              render: (l) => <Link href={`/console/live/${l.sessionId}/analytics`}>{names.lives[l.sessionId] ?? l.sessionId}</Link>,
            },
            { key: 'views', label: t('analytics.kpi.views'), numeric: true, sort: (l) => l.views, render: (l) => formatCount(l.views) },
            { key: 'uniqueViewers', label: t('analytics.kpi.uniqueViewers'), numeric: true, sort: (l) => l.uniqueViewers, render: (l) => formatCount(l.uniqueViewers) },
            { key: 'paidOrders', label: t('analytics.kpi.paidOrders'), numeric: true, sort: (l) => l.paidOrders, render: (l) => formatCount(l.paidOrders) },
            { key: 'gmv', label: t('analytics.kpi.gmv'), numeric: true, sort: (l) => l.gmv, render: (l) => formatMoney(l.gmv) },
            { key: 'gpm', label: t('analytics.kpi.gpm'), numeric: true, sort: (l) => l.gpm, render: (l) => formatMoney(l.gpm) },
          ]}
        />
      </section>

      <section class="panel">
        <PanelHead title={t('analytics.videos.title')}>
          <CsvButton path={csv('videos')} filename="videos.csv" label={t('analytics.videos.title')} />
        </PanelHead>
        <SortableTable
          testId="shop-videos"
          caption={t('analytics.videos.title')}
          empty={t('analytics.videos.empty')}
          rows={a.videos}
          rowKey={(v) => v.videoId}
          columns={[
            { key: 'video', label: t('analytics.videos.video'), sort: (v) => names.videos[v.videoId] ?? v.videoId, render: (v) => names.videos[v.videoId] ?? v.videoId },
            { key: 'impressions', label: t('analytics.videos.impressions'), numeric: true, sort: (v) => v.impressions, render: (v) => formatCount(v.impressions) },
            { key: 'plays', label: t('analytics.videos.plays'), numeric: true, sort: (v) => v.plays, render: (v) => formatCount(v.plays) },
            { key: 'completionRate', label: t('analytics.videos.completionRate'), numeric: true, sort: (v) => v.completionRate, render: (v) => formatPercent(v.completionRate) },
            { key: 'likes', label: t('analytics.kpi.likes'), numeric: true, sort: (v) => v.likes, render: (v) => formatCount(v.likes) },
            { key: 'comments', label: t('analytics.kpi.comments'), numeric: true, sort: (v) => v.comments, render: (v) => formatCount(v.comments) },
            { key: 'paidOrders', label: t('analytics.kpi.paidOrders'), numeric: true, sort: (v) => v.paidOrders, render: (v) => formatCount(v.paidOrders) },
            { key: 'gmv', label: t('analytics.kpi.gmv'), numeric: true, sort: (v) => v.gmv, render: (v) => formatMoney(v.gmv) },
          ]}
        />
      </section>
    </>
  );
}

/** GMV (left axis, ¥) with paid orders and visitors (right axis, counts) per bucket, at the report's time zone. */
function SeriesChart({ a }: { a: Analytics }) {
  const lang = language();
  const byHour = a.bucket === 'hour';
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(() => {
    const when = (seconds: number) =>
      new Date(seconds * 1000).toLocaleString(lang, byHour ? { timeZone: a.timeZone, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' } : { timeZone: a.timeZone, dateStyle: 'medium' });
    return {
      ...periodAxes(a),
      series: [
        { label: byHour ? t('analytics.shop.buckets.hour') : t('analytics.shop.buckets.day'), value: (_u, v) => (v == null ? '—' : when(v)) },
        gmvSeries(),
        { label: t('analytics.kpi.paidOrders'), scale: 'count', stroke: '#2f80ed', width: 2 },
        { label: t('analytics.shop.visitors'), scale: 'count', stroke: '#16a34a', width: 2, dash: [6, 4] },
      ],
    };
  }, [lang, byHour, a.timeZone, a.from, a.to]);
  const data = useMemo<uPlot.AlignedData>(
    () => [a.series.map((s) => s.at / 1000), a.series.map((s) => s.gmv / 100), a.series.map((s) => s.paidOrders), a.series.map((s) => s.visitors)],
    [a],
  );
  const best = a.series.reduce((top, s) => (s.gmv > top.gmv ? s : top), a.series[0]);
  const summary = t('analytics.shop.chartSummary', {
    unit: byHour ? t('analytics.shop.bestHour') : t('analytics.shop.bestDay'),
    gmv: formatMoney(a.gmv),
    orders: formatCount(a.paidOrders),
    visitors: formatCount(a.visitors),
    best: best && best.gmv > 0 ? new Date(best.at).toLocaleString(lang, byHour ? { timeZone: a.timeZone, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' } : { timeZone: a.timeZone, dateStyle: 'medium' }) : '—',
    bestGmv: formatMoney(best?.gmv ?? 0),
  });
  return <Plot options={options} data={data} summary={summary} testId="shop-chart" height={300} />;
}
