// Pieces both analytics pages are built from: a figure tile with its trend, the funnel's bars, a table sorted by
// clicking a header, a uPlot chart with its text summary, and the CSV download of a table.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ApiError, auth } from '../shared/api.ts';
import { formatPercent } from '../shared/CreatorVideos.tsx';
import { formatMoney } from '../shared/format.ts';
import { language, t } from '../shared/i18n.ts';
import { errorText, useSubmit } from '../shared/ui.tsx';
import './analytics.css';
import '../shared/locales/analytics.ts';

/** An exact count in the reader's language (1234 → "1,234"): figures on these pages are never rounded. */
export const formatCount = (n: number) => new Intl.NumberFormat(language()).format(n);

/** 83_000 ms → "1 min 23 s"; under a minute in seconds, over an hour in hours and minutes. */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return t('analytics.duration.seconds', { s });
  if (s < 3600) return t('analytics.duration.minutes', { m: Math.floor(s / 60), s: s % 60 });
  return t('analytics.duration.hours', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

/** A share of a whole (0–1), "—" when there is no whole to share. */
export const rate = (part: number, whole: number) => (whole > 0 ? formatPercent(part / whole) : '—');

/** The change from one window to the one before: ▲/▼ with the difference (and the percentage when there was a before). */
export function Trend({ now, before, money = false }: { now: number; before: number; money?: boolean }) {
  const diff = now - before;
  const amount = money ? formatMoney(Math.abs(diff)) : formatCount(Math.abs(diff));
  const percent = before > 0 ? ` (${formatPercent(Math.abs(diff) / before)})` : '';
  if (diff === 0) {
    return (
      <span class="trend trend-flat" title={t('analytics.same')}>
        <span aria-hidden="true">±0</span>
        <span class="visually-hidden">{t('analytics.same')}</span>
      </span>
    );
  }
  const text = diff > 0 ? t('analytics.up', { change: amount + percent }) : t('analytics.down', { change: amount + percent });
  return (
    <span class={diff > 0 ? 'trend trend-up' : 'trend trend-down'} title={text} data-trend={diff}>
      <span aria-hidden="true">
        {diff > 0 ? '▲' : '▼'} {amount}
        {percent}
      </span>
      <span class="visually-hidden">{text}</span>
    </span>
  );
}

/** A figure: its value, its label, and (for the live figures) how the last 10 minutes compare with the 10 before. */
export function Tile({ label, value, testId, trend, hint }: { label: string; value: string; testId: string; trend?: ComponentChildren; hint?: string }) {
  return (
    <div class="figure tile" data-testid={testId}>
      <span class="figure-value">{value}</span>
      <span class="figure-label" title={hint}>
        {label}
      </span>
      {trend}
    </div>
  );
}

export interface FunnelStep {
  key: string;
  label: string;
  users: number;
}

/** The funnel as bars as long as each step's share of the first: each with its count, the rate from the step before, and the overall rate. */
export function FunnelBars({ steps, testId }: { steps: FunnelStep[]; testId: string }) {
  const first = steps[0]?.users ?? 0;
  return (
    <table class="table funnel" data-testid={testId}>
      <thead>
        <tr>
          <th scope="col">{t('analytics.funnel.step')}</th>
          <th scope="col">{t('analytics.funnel.users')}</th>
          <th scope="col" class="funnel-bar-col">
            <span class="visually-hidden">{t('analytics.funnel.bar')}</span>
          </th>
          <th scope="col">{t('analytics.funnel.fromPrevious')}</th>
          <th scope="col">{t('analytics.funnel.overall')}</th>
        </tr>
      </thead>
      <tbody>
        {steps.map((s, i) => (
          <tr key={s.key} data-step={s.key}>
            <th scope="row">{s.label}</th>
            <td class="num" data-testid="funnel-users">
              {formatCount(s.users)}
            </td>
            <td class="funnel-bar-col" aria-hidden="true">
              <span class="funnel-bar" style={{ width: `${first > 0 ? (s.users / first) * 100 : 0}%` }} />
            </td>
            <td class="num">{i === 0 ? '—' : rate(s.users, steps[i - 1].users)}</td>
            <td class="num">{rate(s.users, first)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface Column<Row> {
  key: string;
  label: string;
  /** What the column sorts by; a column without one does not sort. */
  sort?: (row: Row) => number | string;
  render(row: Row): ComponentChildren;
  numeric?: boolean;
}

/**
 * A table whose rows sort by the column whose header is clicked (again: the other way). Starts in the order it is
 * given (the figures' own order) until a header is clicked.
 */
export function SortableTable<Row>({ columns, rows, rowKey, testId, caption, empty }: { columns: Column<Row>[]; rows: Row[]; rowKey(row: Row): string; testId: string; caption: string; empty: string }) {
  const [sort, setSort] = useState<{ key: string; desc: boolean } | null>(null);
  const column = sort && columns.find((c) => c.key === sort.key);
  const sorted =
    column?.sort && sort
      ? [...rows].sort((a, b) => {
          const x = column.sort!(a);
          const y = column.sort!(b);
          const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), language());
          return sort.desc ? -order : order;
        })
      : rows;
  const click = (c: Column<Row>) => setSort((s) => ({ key: c.key, desc: s?.key === c.key ? !s.desc : c.numeric === true }));
  if (rows.length === 0) return <p class="muted empty-table" data-testid={`${testId}-empty`}>{empty}</p>;
  return (
    <div class="table-wrap">
      <table class="table analytics-table" data-testid={testId}>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" class={c.numeric ? 'num' : undefined} aria-sort={sort?.key === c.key ? (sort.desc ? 'descending' : 'ascending') : undefined}>
                {c.sort ? (
                  <button type="button" class="th-sort" onClick={() => click(c)} data-sort-key={c.key}>
                    {c.label}
                    <span aria-hidden="true" class="sort-mark">
                      {sort?.key === c.key ? (sort.desc ? ' ▼' : ' ▲') : ' ↕'}
                    </span>
                  </button>
                ) : (
                  c.label
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((row) => (
            <tr key={rowKey(row)} data-row={rowKey(row)}>
              {columns.map((c) => (
                <td key={c.key} class={c.numeric ? 'num' : undefined} data-col={c.key}>
                  {c.render(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Downloads a CSV route of the API as a file. The routes want the bearer token, which a plain link cannot carry:
 * the file is fetched with it and handed to the browser as a download.
 */
export function CsvButton({ path, filename, label }: { path: string; filename: string; label: string }) {
  const { busy, error, run } = useSubmit(async () => {
    const res = await fetch(`/api/v1${path}`, { headers: auth.token ? { authorization: `Bearer ${auth.token}` } : {} }).catch(() => {
      throw new ApiError(0, 'network', 'the network is unavailable');
    });
    if (!res.ok) {
      const body = await res.json().catch(() => null);
      throw new ApiError(res.status, body?.error?.code ?? `http_${res.status}`, body?.error?.message ?? res.statusText);
    }
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    // The server names the file (with the session's or shop's id); ours only when it does not.
    a.download = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  });
  return (
    <span class="csv">
      <button type="button" class="btn btn-tiny" onClick={() => run()} disabled={busy} aria-label={t('analytics.downloadCsv', { table: label })} data-testid={`csv-${filename.replace(/\.csv$/, '')}`}>
        {t('analytics.csv')}
      </button>
      {error !== null && (
        <span class="form-error" role="alert">
          {errorText(error)}
        </span>
      )}
    </span>
  );
}

/** A panel's heading with its CSV button on the right. */
export function PanelHead({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="panel-head">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

/**
 * A uPlot chart that follows its data: drawn once per `options` (which change with the language), then given new
 * data in place, so a dashboard refreshing every 2 s does not rebuild it. The summary is the chart in words, for
 * whoever cannot see it.
 */
export function Plot({ options, data, summary, testId, height = 260 }: { options: Omit<uPlot.Options, 'width' | 'height'>; data: uPlot.AlignedData; summary: string; testId: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;
  useEffect(() => {
    if (!box.current) return;
    const chart = new uPlot({ ...options, width: box.current.clientWidth, height }, latest.current, box.current);
    plot.current = chart;
    const resize = () => box.current && chart.setSize({ width: box.current.clientWidth, height });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.destroy();
      plot.current = null;
    };
  }, [options]);
  useEffect(() => plot.current?.setData(data), [data]);
  return (
    <figure class="plot">
      <div class="chart" ref={box} role="img" aria-label={summary} data-testid={testId} />
      <figcaption class="chart-summary" data-testid={`${testId}-summary`}>
        {summary}
      </figcaption>
    </figure>
  );
}

/** Whether this tab is on screen: dashboards stop asking while it is not. */
export function usePageVisible(): boolean {
  const [visible, setVisible] = useState(() => document.visibilityState === 'visible');
  useEffect(() => {
    const changed = () => setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', changed);
    return () => document.removeEventListener('visibilitychange', changed);
  }, []);
  return visible;
}

/** A count axis that starts at 0 and leaves room above the highest value. */
export const fromZero: uPlot.Scale['range'] = (_u, _min, max) => [0, Math.max(1, max) * 1.1];

/** A GMV series and its ¥ axis on the left, for a chart that has counts on the right (see periodAxes). */
export const gmvSeries = (): uPlot.Series => ({ label: t('analytics.kpi.gmv'), scale: 'gmv', stroke: '#ff2d55', fill: 'rgba(255,45,85,0.12)', width: 2, value: (_u, v) => (v == null ? '—' : formatMoney(Math.round(v * 100))) });

/**
 * The time axis of a report's chart over its whole period, whatever has data (a single bucket is not stretched
 * over years), read at the report's time zone, where its buckets start; ¥ on the left, counts on the right.
 */
export function periodAxes(report: { timeZone: string; from: string; to: string }): Pick<uPlot.Options, 'tzDate' | 'scales' | 'axes'> {
  return {
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), report.timeZone),
    scales: { x: { time: true, range: () => [Date.parse(report.from) / 1000, Date.parse(report.to) / 1000] }, gmv: { auto: true, range: fromZero }, count: { auto: true, range: fromZero } },
    axes: [
      { stroke: '#888' },
      { scale: 'gmv', stroke: '#888', size: 80, values: (_u, ticks) => ticks.map((v) => formatMoney(Math.round(v * 100))) },
      { scale: 'count', side: 1, stroke: '#888', grid: { show: false } },
    ],
  };
}

const DAY_MS = 86_400_000;

/** Where a report's days start unless its reader picks their own zone: the platform's market's. */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** The time zone a report's days are counted at: the default or the browser's own. */
export function ZoneSelect({ value, onChange }: { value: string; onChange(zone: string): void }) {
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <label class="zone">
      {t('analytics.shop.timeZone')}
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {[...new Set([DEFAULT_TIME_ZONE, browserZone])].map((z) => (
          <option key={z} value={z}>
            {z}
          </option>
        ))}
      </select>
    </label>
  );
}

/** How far `timeZone`'s clocks are ahead of UTC at the instant `at` (ms). */
export function zoneOffset(timeZone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second')) - Math.floor(at / 1000) * 1000;
}

/** The date (YYYY-MM-DD) it is at `timeZone` at the instant `at`. */
export const dateAt = (timeZone: string, at: number): string => new Date(at + zoneOffset(timeZone, at)).toISOString().slice(0, 10);

/** The instant the day `date` (YYYY-MM-DD) starts at `timeZone`: computed twice, for a day whose offset is not the guess's (DST). */
export function dayStart(date: string, timeZone: string): number {
  const wall = Date.parse(`${date}T00:00:00Z`);
  const guess = wall - zoneOffset(timeZone, wall);
  return wall - zoneOffset(timeZone, guess);
}

export const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/** The last `days` days at `timeZone`, today included: from its first midnight to the next midnight, as the API takes them. */
export function lastDays(days: number, timeZone: string): { from: string; to: string } {
  const today = dateAt(timeZone, Date.now());
  return { from: new Date(dayStart(addDays(today, 1 - days), timeZone)).toISOString(), to: new Date(dayStart(addDays(today, 1), timeZone)).toISOString() };
}

/** The period chips of a report (last 7, 30, … days): one pressed. */
export function DayPresets({ choices, days, onChange, label }: { choices: readonly number[]; days: number; onChange(days: number): void; label: string }) {
  return (
    <div class="filters" role="group" aria-label={label}>
      {choices.map((n) => (
        <button key={n} type="button" class={n === days ? 'chip chip-on' : 'chip'} aria-pressed={n === days} onClick={() => onChange(n)} data-days={n}>
          {t('analytics.lastDays', { n })}
        </button>
      ))}
    </div>
  );
}
