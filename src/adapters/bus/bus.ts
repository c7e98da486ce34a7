// The message bus between Hawker nodes: live-room messages, viewer counts and word-list changes travel on
// subjects ("hawker.room.<sessionId>"). One interface, two implementations: in-process (one node, or several
// nodes wired together in a test) and NATS (nodes in separate processes).

export type BusHandler = (message: string) => void;

export interface MessageBus {
  /** Sends a message to every node subscribed to the subject. The sender's own handlers may or may not see it. */
  publish(subject: string, message: string): void;
  /** Answers the function that ends the subscription. */
  subscribe(subject: string, handler: BusHandler): () => void;
  close(): Promise<void>;
}

/** Nodes in one process: delivery is asynchronous (like a network), in publish order per subject. */
export class InProcessBus implements MessageBus {
  private readonly subscribers = new Map<string, Set<BusHandler>>();

  publish(subject: string, message: string): void {
    const handlers = this.subscribers.get(subject);
    if (!handlers || handlers.size === 0) return;
    const now = [...handlers];
    queueMicrotask(() => {
      for (const handler of now) handler(message);
    });
  }

  subscribe(subject: string, handler: BusHandler): () => void {
    let handlers = this.subscribers.get(subject);
    if (!handlers) this.subscribers.set(subject, (handlers = new Set()));
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0) this.subscribers.delete(subject);
    };
  }

  async close(): Promise<void> {
    this.subscribers.clear();
  }
}
