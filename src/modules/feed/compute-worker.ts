// The feed jobs' worker thread (engine/compute.ts): interactions arrive in slices, neighbour lists go back a slice per ask.
import { parentPort } from 'node:worker_threads';
import { neighbourLists, trainModels, type FromWorker, type ToWorker } from './engine/compute.ts';
import type { Interaction } from './engine/similarity.ts';

const port = parentPort!;
const send = (message: FromWorker) => port.postMessage(message);
const interactions: Interaction[] = [];
/** The lists computed, handed back a slice per ask. */
let lists: [string, string][] = [];
let sliceSize = 0;
let next = 0;

/** The next slice of the lists, or the end. */
function sendNext(): void {
  if (next < lists.length) {
    send({ type: 'neighbours', slice: lists.slice(next, next + sliceSize) });
    next += sliceSize;
  } else {
    send({ type: 'neighbours-end', items: lists.length });
    lists = [];
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'interactions':
      for (const i of message.slice) interactions.push(i);
      return;
    case 'item-knn':
      lists = neighbourLists(interactions, message.opts);
      interactions.length = 0;
      sliceSize = message.sliceSize;
      next = 0;
      return sendNext();
    case 'next-neighbours':
      return sendNext();
    case 'train':
      send({ type: 'models', fits: trainModels(message.set, message.opts) });
  }
});
