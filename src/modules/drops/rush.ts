// Orders first: while a drop's rush is on, a batch of engagement or analytics facts waits before its body is even
// read (reading, checking and journaling it all cost the node's one thread), for up to MAX_HOLD_MS. Its
// acknowledgement comes that much later; the app keeps the facts until acknowledged.
import type { DropEngine } from './service.ts';

/** A rush is on while a drop's order attempts arrive less than this apart. */
const RUSH_GAP_MS = 200;
/** The longest a batch waits for a rush to end before it is taken anyway. */
const MAX_HOLD_MS = 3000;

/** An onRequest hook that holds a request while the node's drops are in a rush. */
export function holdDuringRush(engine: Pick<DropEngine, 'lastAttemptAt'>): () => Promise<void> {
  let rushOver: Promise<void> | null = null;
  /** One watcher for all the requests waiting, however many there are. */
  const whenRushOver = () =>
    (rushOver ??= new Promise<void>((resolve) => {
      const look = () => {
        if (Date.now() - engine.lastAttemptAt < RUSH_GAP_MS) return void setTimeout(look, RUSH_GAP_MS / 4);
        rushOver = null;
        resolve();
      };
      setTimeout(look, RUSH_GAP_MS / 4);
    }));
  return async () => {
    if (Date.now() - engine.lastAttemptAt >= RUSH_GAP_MS) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([whenRushOver(), new Promise((r) => (timer = setTimeout(r, MAX_HOLD_MS)))]);
    clearTimeout(timer);
  };
}
