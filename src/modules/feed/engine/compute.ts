// The feed jobs' heavy computations, run by a worker thread (../compute-worker.ts) or, if none can start, by the
// caller: ItemKNN over half a million interactions and the ranker's models over up to 200,000 impressions take
// seconds of CPU, and the node's event loop is also its HTTP and, embedded, its database.
import { trainLogistic, type TrainOptions, type TrainedLogistic } from './learn.ts';
import { itemKnn, type Interaction, type ItemKnnOptions } from './similarity.ts';
import type { ItemKey } from './types.ts';

/** Training rows: `rows × dims` features row-major, and one 0/1 label per row for each model to fit. */
export interface TrainingSet {
  X: Float64Array;
  dims: number;
  labels: Record<string, Uint8Array>;
}

/** Each item's neighbours as the JSON stored in feed_neighbours (items without neighbours left out). */
export function neighbourLists(interactions: readonly Interaction[], opts: ItemKnnOptions): [ItemKey, string][] {
  const lists: [ItemKey, string][] = [];
  for (const [key, list] of itemKnn(interactions, opts)) if (list.length > 0) lists.push([key, JSON.stringify(list)]);
  return lists;
}

/** One logistic model per label set, all over the same rows. */
export function trainModels(set: TrainingSet, opts: TrainOptions): Record<string, TrainedLogistic> {
  const rows = set.X.length / set.dims;
  const X = Array.from({ length: rows }, (_, r) => set.X.subarray(r * set.dims, (r + 1) * set.dims));
  const fits: Record<string, TrainedLogistic> = {};
  for (const [name, y] of Object.entries(set.labels)) fits[name] = trainLogistic(X, y, opts);
  return fits;
}

// Messages between a job and the worker. Large inputs and outputs go in slices: a message is copied (serialised and
// read back) whole on the thread that sends or receives it, so one message of 500,000 interactions or 100,000 lists
// held the event loop for a second. The lists come back one slice per ask ('next-neighbours'): slices sent all at
// once are all read back in one turn of the receiving event loop (180 ms held, seen in the feed bench).
export type ToWorker =
  | { type: 'interactions'; slice: Interaction[] }
  | { type: 'item-knn'; opts: ItemKnnOptions; sliceSize: number }
  | { type: 'next-neighbours' }
  | { type: 'train'; set: TrainingSet; opts: TrainOptions };

export type FromWorker =
  | { type: 'neighbours'; slice: [ItemKey, string][] }
  | { type: 'neighbours-end'; items: number }
  | { type: 'models'; fits: Record<string, TrainedLogistic> };
