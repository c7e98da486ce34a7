// The live room channel: one WebSocket per room page, reconnected with exponential backoff (and at once
// when the device comes back online). Every (re)connection starts with the server's snapshot — welcome,
// recent chat, likes, viewers, the pinned drop — so the page rebuilds its state from it.
import { auth } from './api.ts';
import { deviceId } from './device.ts';
import type { RoomMessage } from './types.ts';

export type ChannelState = 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed';

export interface ChannelEvents {
  message(m: RoomMessage): void;
  state(state: ChannelState, retryInMs?: number): void;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 15_000;
/** Close code the server uses for a viewer banned from the room: reconnecting would be refused. */
const BANNED = 4403;

/** How a viewer entered the room, for the room's analytics: where from (feed, follow, share, …). */
export interface RoomEntry {
  source?: string;
}

/** Signed in with the token; else this device's id, so that a viewer not signed in is counted once. */
export function roomSocketUrl(sessionId: string, token: string | null, entry: RoomEntry = {}): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const q = new URLSearchParams();
  if (token) q.set('token', token);
  else q.set('deviceId', deviceId());
  if (entry.source) q.set('source', entry.source);
  return `${scheme}://${location.host}/api/v1/live-sessions/${encodeURIComponent(sessionId)}/ws?${q}`;
}

export class RoomChannel {
  private ws: WebSocket | null = null;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly sessionId: string,
    private readonly events: ChannelEvents,
    private readonly entry: RoomEntry = {},
  ) {}

  start() {
    window.addEventListener('online', this.wake);
    window.addEventListener('offline', this.lost);
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener('online', this.wake);
    window.removeEventListener('offline', this.lost);
    this.ws?.close(1000);
    this.ws = null;
  }

  /** Sends a client message; false when the socket is not open (the caller keeps the text). */
  send(message: { type: 'chat'; text: string } | { type: 'like' }): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  private open() {
    this.events.state(this.failures === 0 ? 'connecting' : 'reconnecting');
    const ws = new WebSocket(roomSocketUrl(this.sessionId, auth.token, this.entry));
    this.ws = ws;
    ws.onopen = () => this.ws === ws && this.events.state('open');
    ws.onmessage = (e) => {
      if (this.ws !== ws) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(e.data));
      } catch {
        return;
      }
      for (const m of (Array.isArray(parsed) ? parsed : [parsed]) as RoomMessage[]) {
        if (!m || typeof m !== 'object') continue;
        if (m.type === 'welcome') this.failures = 0;
        if (m.type === 'banned') this.stopped = true;
        this.events.message(m);
      }
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped || e.code === BANNED) {
        this.events.state('closed');
        return;
      }
      this.retry();
    };
  }

  private retry() {
    clearTimeout(this.timer);
    // Full jitter, so a room's viewers do not all come back in the same millisecond after a node restarts.
    const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.failures);
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.failures += 1;
    this.events.state(navigator.onLine === false ? 'offline' : 'reconnecting', delay);
    this.timer = setTimeout(() => this.open(), delay);
  }

  private wake = () => {
    if (this.stopped) return;
    // The socket may have lived through a short outage.
    if (this.ws) {
      if (this.ws.readyState === WebSocket.OPEN) this.events.state('open');
      return;
    }
    clearTimeout(this.timer);
    this.open();
  };

  private lost = () => {
    if (!this.stopped) this.events.state('offline');
  };
}
