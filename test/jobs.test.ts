// Background jobs (src/platform/jobs.ts): a run never overlaps itself, a failure is retried next tick, and the runs
// going on are listed for diagnostics (LOOP_STALL_MS names them), each removed when it ends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { isBackground } from '../src/platform/background.ts';
import { Jobs, jobsInProgress } from '../src/platform/jobs.ts';

test('a job runs as background work, never beside itself, is listed while it runs, and runs again after a failure', async () => {
  const jobs = new Jobs(pino({ level: 'silent' }));
  let runs = 0;
  let running = 0;
  let most = 0;
  let background = true;
  let finish!: () => void;
  jobs.every('slow', 5, async () => {
    runs++;
    running++;
    most = Math.max(most, running);
    background &&= isBackground();
    try {
      if (runs === 1) throw new Error('first run fails');
      await new Promise<void>((resolve) => (finish = resolve));
    } finally {
      running--;
    }
  });
  jobs.start();
  try {
    await sleep(60); // many ticks: the failed first run, then a second that waits
    assert.equal(runs, 2, 'the failed run was retried, and the waiting one was not started again beside itself');
    assert.equal(most, 1);
    assert.equal(background, true);
    const listed = jobsInProgress().filter(([name]) => name === 'slow');
    assert.equal(listed.length, 1);
    assert.ok(listed[0][1] >= 40 && listed[0][1] < 60_000, `running for ${listed[0][1]} ms`);
    finish();
    await sleep(2);
    assert.equal(jobsInProgress().filter(([name]) => name === 'slow').length, runs > 2 ? 1 : 0);
  } finally {
    finish?.();
    await jobs.stop();
  }
  assert.deepEqual(jobsInProgress().filter(([name]) => name === 'slow'), []);
});
