// ItemKNN for the similarity job, on a worker thread: half a million interactions take seconds of CPU, and the
// node's event loop is also its HTTP and, embedded, its database.
import { parentPort, workerData } from 'node:worker_threads';
import { itemKnn, type Interaction, type ItemKnnOptions } from './engine/similarity.ts';

const { interactions, opts } = workerData as { interactions: Interaction[]; opts: ItemKnnOptions };
parentPort!.postMessage([...itemKnn(interactions, opts)]);
