// The server's clock on this device, to count down to what the server decides (a drop opening) without
// running behind it: the Date header has whole seconds only, so GET /time gives milliseconds. As NTP does,
// of a few samples the one with the shortest round trip counts, its answer taken as read half-way through.
import { get } from './api.ts';

const SAMPLES = 3;

let offsetMs = 0;
let synced = false;
let syncing: Promise<void> | null = null;

/** The server's time now, in milliseconds since the epoch. */
export const serverNow = () => Date.now() + offsetMs;

/** Whether the clock has been synced once (or found it could not be: then the device's own clock is used). */
export const clockSynced = () => synced;

/** Syncs with the server; calls made while one runs share it. */
export function syncClock(): Promise<void> {
  syncing ??= measure().finally(() => {
    syncing = null;
  });
  return syncing;
}

async function measure(): Promise<void> {
  let best: { roundTrip: number; offset: number } | null = null;
  for (let i = 0; i < SAMPLES; i++) {
    const sent = performance.now();
    let now: number;
    try {
      ({ now } = await get<{ now: number }>('/time'));
    } catch {
      break;
    }
    const roundTrip = performance.now() - sent;
    const offset = now + roundTrip / 2 - Date.now();
    // The first answer is good to within its round trip: countdowns use it while the others refine it.
    if (!best || roundTrip < best.roundTrip) {
      best = { roundTrip, offset };
      offsetMs = offset;
      synced = true;
    }
  }
  // No answer at all: the device's own clock is what there is.
  synced = true;
}

/** Syncs now, and again when the device is back online or the page is shown again (a phone's clock may have been set meanwhile). */
export function keepClockSynced(): void {
  void syncClock();
  window.addEventListener('online', () => void syncClock());
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && void syncClock());
}
