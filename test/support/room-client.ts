// A live-room viewer over a real WebSocket, as a browser would hold one: it records every message it was
// sent (frames holding one message or an array of them) and can wait for one.
import WebSocket from 'ws';

export interface RoomMessage {
  type: string;
  [key: string]: any;
}

export function roomUrl(base: string, sessionId: string, token?: string): string {
  return `${base.replace(/^http/, 'ws')}/api/v1/live-sessions/${sessionId}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

export class RoomClient {
  readonly messages: RoomMessage[] = [];
  frames = 0;
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames += 1;
      const parsed = JSON.parse(data.toString());
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) this.messages.push(m);
    });
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  /** Joins the room and waits for the welcome snapshot. */
  static async join(base: string, sessionId: string, token?: string): Promise<RoomClient> {
    const ws = new WebSocket(roomUrl(base, sessionId, token));
    const client = new RoomClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await client.next('welcome');
    return client;
  }

  /** The HTTP status a refused join answered with. */
  static refusal(base: string, sessionId: string, token?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(roomUrl(base, sessionId, token));
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('open', () => {
        ws.close();
        reject(new Error('the room let this viewer in'));
      });
      ws.once('error', () => {});
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  chat(text: string): void {
    this.send({ type: 'chat', text });
  }

  of(type: string): RoomMessage[] {
    return this.messages.filter((m) => m.type === type);
  }

  /** The first message (from `from` on) matching, waiting for it if needed. */
  async next(type: string, match: (m: RoomMessage) => boolean = () => true, timeoutMs = 5000, from = 0): Promise<RoomMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find((m) => m.type === type && match(m));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${type} message within ${timeoutMs} ms; got ${JSON.stringify(this.messages.slice(-10))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async closedWith(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('socket still open');
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.closed;
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
