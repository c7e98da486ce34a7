// The shop's figures over time: GMV and paid orders per day (one stats call per day), drawn with uPlot.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { get, query } from '../shared/api.ts';
import { formatMoney } from '../shared/format.ts';
import { language, t } from '../shared/i18n.ts';
import type { Shop, ShopStats } from '../shared/types.ts';
import { Loaded, useResource } from '../shared/ui.tsx';
import { Figure } from './ShopOverview.tsx';

const RANGES = [7, 14, 30];

/** 0.25 → "25%" (one decimal at most) in the reader's language. */
const formatPercent = (share: number) => new Intl.NumberFormat(language(), { style: 'percent', maximumFractionDigits: 1 }).format(share);

interface Series {
  days: Date[];
  daily: ShopStats[];
  total: ShopStats;
}

async function loadSeries(shopId: string, days: number, signal: AbortSignal): Promise<Series> {
  const start = new Date();
  start.setHours(0, 0, 0, 0);
  start.setDate(start.getDate() - (days - 1));
  const bounds = Array.from({ length: days + 1 }, (_, i) => {
    const d = new Date(start);
    d.setDate(start.getDate() + i);
    return d;
  });
  const stats = (from: Date, to: Date) => get<{ stats: ShopStats }>(`/shops/${shopId}/stats${query({ from: from.toISOString(), to: to.toISOString() })}`, signal).then((r) => r.stats);
  const [total, ...daily] = await Promise.all([stats(bounds[0], bounds[days]), ...bounds.slice(0, days).map((from, i) => stats(from, bounds[i + 1]))]);
  return { days: bounds.slice(0, days), daily, total };
}

export function Stats({ shop }: { shop: Shop }) {
  const [days, setDays] = useState(14);
  const series = useResource((signal) => loadSeries(shop.id, days, signal), [shop.id, days]);
  return (
    <>
      <header class="page-head">
        <h1>{t('stats.title')}</h1>
        <div class="filters">
          {RANGES.map((d) => (
            <button key={d} class={d === days ? 'chip chip-on' : 'chip'} aria-pressed={d === days} onClick={() => setDays(d)}>
              {t('stats.lastDays', { n: d })}
            </button>
          ))}
        </div>
      </header>
      <Loaded resource={series}>
        {(s) => (
          <>
            <section class="figures panel" data-testid="stats-totals">
              <Figure label={t('figures.gmv')} value={formatMoney(s.total.gmv, s.total.currency)} testId="stats-gmv" />
              <Figure label={t('figures.verifiedGmv')} value={formatMoney(s.total.verifiedGmv, s.total.currency)} testId="stats-verified-gmv" />
              <Figure label={t('figures.paidOrders')} value={String(s.total.orders)} testId="stats-orders" />
              <Figure label={t('figures.buyers')} value={String(s.total.buyers)} />
              <Figure label={t('figures.aov')} value={formatMoney(s.total.averageOrderValue, s.total.currency)} />
            </section>
            <section class="figures panel" data-testid="stats-aftersales">
              <Figure label={t('figures.refunded')} value={formatMoney(s.total.refunded, s.total.currency)} testId="stats-refunded" />
              <Figure label={t('figures.refundRate')} value={formatPercent(s.total.refundRate)} testId="stats-refund-rate" />
              <Figure label={t('figures.insurancePremiums')} value={formatMoney(s.total.insurancePremiums, s.total.currency)} testId="stats-premiums" />
              <Figure label={t('figures.insurancePayouts')} value={formatMoney(s.total.insurancePayouts, s.total.currency)} testId="stats-payouts" />
            </section>
            <section class="panel">
              <h2>{t('stats.chartTitle')}</h2>
              <Chart series={s} />
            </section>
          </>
        )}
      </Loaded>
    </>
  );
}

function Chart({ series }: { series: Series }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const currency = series.total.currency;
    const digits = 100;
    const data: uPlot.AlignedData = [series.days.map((d) => d.getTime() / 1000), series.daily.map((d) => d.gmv / digits), series.daily.map((d) => d.orders)];
    const plot = new uPlot(
      {
        width: box.current.clientWidth,
        height: 280,
        scales: { x: { time: true }, gmv: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] }, orders: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
        axes: [
          { stroke: '#888' },
          { scale: 'gmv', stroke: '#888', values: (_u, ticks) => ticks.map((v) => formatMoney(Math.round(v * digits), currency)), size: 70 },
          { scale: 'orders', side: 1, stroke: '#888', grid: { show: false } },
        ],
        series: [
          { label: t('stats.day'), value: (_u, v) => (v == null ? '—' : new Date(v * 1000).toLocaleDateString(language())) },
          { label: t('figures.gmv'), scale: 'gmv', stroke: '#ff2d55', fill: 'rgba(255,45,85,0.15)', width: 2, value: (_u, v) => (v == null ? '—' : formatMoney(Math.round(v * digits), currency)) },
          { label: t('figures.paidOrders'), scale: 'orders', stroke: '#2f80ed', width: 2, points: { show: true } },
        ],
      },
      data,
      box.current,
    );
    const resize = () => box.current && plot.setSize({ width: box.current.clientWidth, height: 280 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [series]);
  return <div class="chart" ref={box} data-testid="stats-chart" />;
}
