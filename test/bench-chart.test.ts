import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alignedData } from '../bench/chart.ts';

test('a scatter chart merges its series on one ascending x, each y only where the point is its own', () => {
  const data = alignedData({
    title: 't',
    xLabel: 'x',
    yLabel: 'y',
    series: [
      { label: 'orders', color: '#000', points: [[5, 50], [1, 10]] },
      { label: 'refusals', color: '#111', points: [[3, 30]] },
    ],
    line: { y: 100, label: 'target' },
  });
  assert.deepEqual(data, [
    [1, 3, 5],
    [10, null, 50],
    [null, 30, null],
    [100, 100, 100],
  ]);
});

test('a chart without a target line has one row per series after x', () => {
  const data = alignedData({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ label: 'a', color: '#000', points: [[2, 4]] }] });
  assert.deepEqual(data, [[2], [4]]);
});
