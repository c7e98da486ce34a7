// Charts of a bench run as a PNG: drawn by uPlot (the console's chart library) in Debian's Chromium, the
// browser the UI tests drive, so a bench picture is made by the same parts as the product's own charts.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { launchBrowser, noBrowser } from '../test/e2e/browser.ts';

/** Points (x, y) of one kind, drawn as dots of one colour. */
export interface ScatterSeries {
  label: string;
  color: string;
  points: [number, number][];
}

export interface ScatterChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ScatterSeries[];
  /** A dashed line across the chart at this y (a target), with its label. */
  line?: { y: number; label: string };
}

const WIDTH = 960;
const HEIGHT = 280;

/**
 * uPlot wants one ascending x array with every series aligned to it: the points of all series are merged
 * by x, and each series has its y where the point is its own and null elsewhere (a gap, not a zero).
 */
export function alignedData(chart: ScatterChart): (number | null)[][] {
  const all = chart.series.flatMap((s, i) => s.points.map(([x, y]) => ({ x, y, i })));
  all.sort((a, b) => a.x - b.x);
  const xs = all.map((p) => p.x);
  const ys = chart.series.map((_, i) => all.map((p) => (p.i === i ? p.y : null)));
  const line = chart.line ? [xs.map(() => chart.line!.y)] : [];
  return [xs, ...ys, ...line];
}

/** In the page: one uPlot per chart, its points as dots, the target as a dashed line. */
const DRAW = `
function drawCharts(specs, width, height) {
  const root = document.getElementById('charts');
  for (const spec of specs) {
    const title = document.createElement('h3');
    title.textContent = spec.title;
    root.append(title);
    const el = document.createElement('div');
    root.append(el);
    const dots = spec.series.map((s) => ({ label: s.label, stroke: s.color, fill: s.color, paths: () => null, points: { show: true, size: 3, width: 0, fill: s.color } }));
    const line = spec.line ? [{ label: spec.line.label, stroke: '#c0392b', dash: [6, 4], width: 1.5, points: { show: false } }] : [];
    const top = Math.max(...spec.data.slice(1).flat().filter((y) => y !== null), spec.line ? spec.line.y : 0) * 1.05;
    new uPlot({
      width, height,
      scales: { x: { time: false }, y: { range: [0, top] } },
      axes: [{ label: spec.xLabel }, { label: spec.yLabel, size: 60 }],
      legend: { live: false },
      cursor: { show: false },
      series: [{ label: spec.xLabel }, ...dots, ...line],
    }, spec.data, el);
  }
}`;

/** Draws the charts one under the other into a PNG; answers why it did not when there is no browser here. */
export async function writeScatterCharts(charts: ScatterChart[], file: string): Promise<{ written: string } | { skipped: string }> {
  if (noBrowser) return { skipped: noBrowser };
  const uplot = createRequire(import.meta.url).resolve('uplot');
  const dist = dirname(uplot);
  const script = readFileSync(`${dist}/uPlot.iife.min.js`, 'utf8');
  const css = readFileSync(`${dist}/uPlot.min.css`, 'utf8');
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: WIDTH + 40, height: 400 }, deviceScaleFactor: 1 });
    await page.setContent(`<!doctype html><html><head><style>${css} body{margin:0;font:13px sans-serif;background:#fff} #charts{padding:12px 20px;width:${WIDTH}px} h3{margin:14px 0 2px;font-size:14px}</style></head><body><div id="charts"></div></body></html>`);
    await page.addScriptTag({ content: script });
    await page.addScriptTag({ content: DRAW });
    const specs = charts.map((c) => ({ ...c, data: alignedData(c) }));
    // Plain script text, not a function handed to page.evaluate: tsx wraps functions in a helper the page lacks.
    await page.addScriptTag({ content: `drawCharts(${JSON.stringify(specs)}, ${WIDTH}, ${HEIGHT});` });
    mkdirSync(dirname(file), { recursive: true });
    await page.locator('#charts').screenshot({ path: file });
    return { written: file };
  } finally {
    await browser.close();
  }
}
