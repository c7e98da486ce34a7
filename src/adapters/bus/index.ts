import type { Config } from '../../config.ts';
import { InProcessBus, type MessageBus } from './bus.ts';
import { NatsBus } from './nats.ts';

export { InProcessBus, type BusHandler, type MessageBus } from './bus.ts';

/** NATS when NATS_URL is set (multi-node), else in-process (one node). */
export async function openBus(config: Pick<Config, 'natsUrl'>, nodeName: string): Promise<MessageBus> {
  return config.natsUrl ? NatsBus.connect(config.natsUrl, nodeName) : new InProcessBus();
}
