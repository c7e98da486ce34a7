// What travels in a live room's WebSocket channel (API.md "GET /live-sessions/:id/ws"). Every server
// frame holds one of these objects, or a JSON array of them when several were coalesced into one frame.
import { isStorableText } from '../../platform/request-text.ts';
import type { dropView } from '../drops/views.ts';

export interface RoomUser {
  id: string;
  handle: string;
}

/** Chat text is data: it is sent as a JSON string and never turned into markup by Hawker. */
export interface ChatMessage {
  type: 'chat';
  id: string;
  user: RoomUser;
  text: string;
  at: string;
}

export type RoomMessage =
  | ChatMessage
  | { type: 'chat_deleted'; id: string }
  | { type: 'likes'; total: number }
  | { type: 'viewers'; count: number }
  | { type: 'drop'; drop: ReturnType<typeof dropView> }
  | { type: 'purchase'; handle: string; quantity: number }
  | { type: 'tip'; id: string; user: RoomUser; amount: number; message: string; at: string }
  /** Who is on screen in the room's stream now (a co-host, 连麦): empty when no one publishes from a browser. */
  | { type: 'on_screen'; people: { role: 'host' | 'guest'; name: string; userId: string | null; shopId: string | null }[]; layout: 'side_by_side' | 'picture_in_picture' | null };

/** Sent to one socket only. */
export type PersonalMessage =
  | { type: 'welcome'; sessionId: string; user: RoomUser | null; staff: boolean; canChat: boolean; mutedUntil: string | null }
  | { type: 'error'; code: NoticeCode; message: string }
  | { type: 'muted'; until: string }
  | { type: 'banned' };

export type NoticeCode = 'sign_in_required' | 'muted' | 'text_length' | 'rate_limited' | 'bad_message';

/** What a client may send. */
export type ClientMessage = { type: 'chat'; text: string } | { type: 'like' };

export const CHAT_MAX_CHARS = 200;

/** A client frame as a ClientMessage, or null when it is not one. */
export function parseClientMessage(raw: string): ClientMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { type, text } = value as { type?: unknown; text?: unknown };
  if (type === 'like') return { type };
  // A line storage cannot hold (U+0000, an unpaired surrogate) would fail the batch of history it is written with.
  if (type === 'chat' && typeof text === 'string' && isStorableText(text)) return { type, text };
  return null;
}
