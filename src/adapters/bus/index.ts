import type { Config } from '../../config.ts';
import { InProcessBus, type MessageBus } from './bus.ts';

export { InProcessBus, type BusHandler, type MessageBus } from './bus.ts';

/** NATS when NATS_URL is set (multi-node; its client loaded only then: a start is shorter without it), else in-process (one node). */
export async function openBus(config: Pick<Config, 'natsUrl'>, nodeName: string): Promise<MessageBus> {
  return config.natsUrl ? (await import('./nats.ts')).NatsBus.connect(config.natsUrl, nodeName) : new InProcessBus();
}
