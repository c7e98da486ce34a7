import { connect, type NatsConnection } from 'nats';
import type { BusHandler, MessageBus } from './bus.ts';

/**
 * Nodes in separate processes, over NATS core subjects: at-most-once fan-out, which suits live-room
 * messages (what matters durably, like chat history, is written to the database by the node that accepted it).
 * noEcho: a node delivers its own messages to its local viewers directly, without the round trip.
 */
export class NatsBus implements MessageBus {
  private constructor(private readonly nc: NatsConnection) {}

  static async connect(url: string, name: string): Promise<NatsBus> {
    const nc = await connect({ servers: url, name, noEcho: true, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    return new NatsBus(nc);
  }

  publish(subject: string, message: string): void {
    // While NATS reconnects the client buffers; once draining or closed (shutting down) there is nobody to tell.
    if (!this.nc.isClosed() && !this.nc.isDraining()) this.nc.publish(subject, message);
  }

  subscribe(subject: string, handler: BusHandler): () => void {
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (!err) handler(msg.string());
      },
    });
    return () => {
      if (!this.nc.isClosed() && !this.nc.isDraining()) sub.unsubscribe();
    };
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed() && !this.nc.isDraining()) await this.nc.drain();
  }
}
