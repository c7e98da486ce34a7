// The feed jobs' worker thread (engine/compute.ts): interactions arrive in slices, neighbour lists go back in slices.
import { parentPort } from 'node:worker_threads';
import { neighbourLists, trainModels, type FromWorker, type ToWorker } from './engine/compute.ts';
import type { Interaction } from './engine/similarity.ts';

const port = parentPort!;
const send = (message: FromWorker) => port.postMessage(message);
const interactions: Interaction[] = [];

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'interactions':
      for (const i of message.slice) interactions.push(i);
      return;
    case 'item-knn': {
      const lists = neighbourLists(interactions, message.opts);
      interactions.length = 0;
      for (let i = 0; i < lists.length; i += message.sliceSize) send({ type: 'neighbours', slice: lists.slice(i, i + message.sliceSize) });
      send({ type: 'neighbours-end', items: lists.length });
      return;
    }
    case 'train':
      send({ type: 'models', fits: trainModels(message.set, message.opts) });
  }
});
