// LiveRoomHub: the live rooms of one node. It holds the room's sockets and coalesces everything said in a
// room into one frame per socket every ROOM_FLUSH_MS: each message is serialized once, and the sockets that
// are behind by the same messages get the same bytes. It drops slow consumers, counts likes and viewers, and
// links the rooms across nodes over the message bus.
//
// Fan-out cost is one socket write per viewer per frame (~8–15 µs on this kind of machine, mostly kernel), so:
// - a room's sockets are split into FANOUT_GROUPS groups flushed in turn, so no single pass blocks the event
//   loop for long and a message waits at most one period plus one group's pass;
// - the period stretches beyond ROOM_FLUSH_MS when this node holds more sockets than
//   ROOM_MAX_FRAMES_PER_SECOND allows at that rate, so a huge room cannot starve HTTP (orders in a drop!).
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import { Counter, Gauge } from 'prom-client';
import WebSocket from 'ws';
import type { WindowCounters } from '../../adapters/cache/counters.ts';
import type { MessageBus } from '../../adapters/bus/index.ts';
import type { Db } from '../../adapters/db/index.ts';
import type { Config } from '../../config.ts';
import type { Clock } from '../../platform/clock.ts';
import { newId } from '../../platform/ids.ts';
import type { Jobs } from '../../platform/jobs.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { ONLINE_SAMPLE_MS, type AnalyticsEvent, type Source } from '../analytics/store/types.ts';
import { activeDropOf } from '../drops/service.ts';
import { ChatWriter } from './chat-writer.ts';
import { CHAT_MAX_CHARS, parseClientMessage, type ChatMessage, type NoticeCode, type PersonalMessage, type RoomMessage } from './messages.ts';
import { WordFilter } from './word-filter.ts';

/** Who is behind a socket; null for an anonymous (read-only) viewer. */
export interface RoomViewer {
  userId: string;
  handle: string;
  /** Shop owner, staff or operator: never muted or banned. */
  staff: boolean;
}

export type ModerationAction = { action: 'mute'; userId: string; until: number } | { action: 'ban'; userId: string } | { action: 'lift'; userId: string };

/** What nodes tell each other about a room, on its subject. */
type RoomEnvelope =
  | { n: string; k: 'msg'; m: RoomMessage }
  | { n: string; k: 'likes'; total: number }
  | ({ n: string; k: 'mod' } & ModerationAction);

const roomSubject = (sessionId: string) => `hawker.room.${sessionId}`;
/** Every node's viewer count per room, so each can answer the sum. */
const VIEWERS_SUBJECT = 'hawker.rooms.viewers';
/** The sensitive-word list changed: every node reloads it. */
const WORDS_SUBJECT = 'hawker.rooms.words';

const LIKES_INTERVAL_MS = 250;
const VIEWERS_INTERVAL_MS = 250;
const CHAT_WRITE_INTERVAL_MS = 200;
/** Each node repeats its counts this often; a node silent for VIEWERS_EXPIRY_MS (it died) is no longer counted. */
const VIEWERS_HEARTBEAT_MS = 5000;
const VIEWERS_EXPIRY_MS = 15_000;
/** A room nobody on this node watches is kept this long, so a viewer who reconnects finds it warm. */
const ROOM_IDLE_MS = 10_000;
const WORDS_RELOAD_MS = 30_000;
/** Notices (errors) to one socket per second, so a client spamming bad frames cannot make us spam back. */
const NOTICES_PER_SECOND = 5;

const TEXT_FRAME = { binary: false } as const;
const FANOUT_GROUPS = 8;

/**
 * What a room sends many sockets at once: the text, and the whole WebSocket frame around it (RFC 6455: FIN,
 * opcode 1 text, unmasked as a server sends), built once. Each socket is then one write of the same bytes,
 * not a frame header built, corked and written per socket by `ws`.
 */
interface RoomFrame {
  payload: Buffer;
  wire: Buffer;
}

function roomFrame(text: string): RoomFrame {
  const length = Buffer.byteLength(text);
  const head = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const wire = Buffer.allocUnsafe(head + length);
  wire[0] = 0x81;
  if (length < 126) wire[1] = length;
  else if (length < 65_536) {
    wire[1] = 126;
    wire.writeUInt16BE(length, 2);
  } else {
    wire[1] = 127;
    wire.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    wire.writeUInt32BE(length >>> 0, 6);
  }
  wire.write(text, head);
  return { payload: wire.subarray(head), wire };
}

type RawSocket = { write(b: Buffer): boolean };

/** The TCP socket under a WebSocket, when frames may be written to it directly: no extension (compression)
 * negotiated, so `ws` itself writes every frame at once and never holds one back that ours could overtake.
 * Asked once per socket, at join (extensions are settled in the handshake). */
function rawSocketOf(socket: WebSocket): RawSocket | null {
  if (socket.extensions !== '') return null;
  return (socket as unknown as { _socket?: RawSocket })._socket ?? null;
}

class Room {
  readonly seats = new Set<Seat>();
  /** Seats of staff (the shop's own people, operators): in the room, not its audience. */
  staff = 0;
  readonly groups: Set<Seat>[] = Array.from({ length: FANOUT_GROUPS }, () => new Set());
  private nextGroup = 0;
  /** Messages said recently, serialized once and numbered; kept until every seat has been sent them. */
  log: { seq: number; json: string }[] = [];
  head = 0;
  /** Per group, the head when the group was last sent to: no seat in it is behind that. */
  readonly groupCursors: number[] = new Array(FANOUT_GROUPS).fill(0);
  /** The last chat messages as already serialized, for a joining viewer. */
  history: { id: string; json: string }[] = [];
  likes = 0;
  likesToPush = false;
  /** Taps counted on this node and not yet added to the stored total. */
  unsavedLikes = 0;
  viewersPushed = -1;
  /** The pinned drop's message, as serialized. */
  pinned: string | null = null;
  pinnedKnown = false;
  readonly mutes = new Map<string, number>();
  readonly bans = new Set<string>();
  emptySince = Date.now();
  loaded = false;
  ready!: Promise<void>;
  unsubscribe: () => void = () => {};

  constructor(readonly id: string) {}

  seat(seat: Seat): void {
    seat.group = this.nextGroup++ % FANOUT_GROUPS;
    seat.cursor = this.head;
    this.seats.add(seat);
    this.groups[seat.group].add(seat);
    if (seat.viewer?.staff) this.staff++;
  }

  unseat(seat: Seat): boolean {
    this.groups[seat.group].delete(seat);
    if (!this.seats.delete(seat)) return false;
    if (seat.viewer?.staff) this.staff--;
    return true;
  }

  /** Seats that are the room's audience (staff excluded). */
  get audience(): number {
    return this.seats.size - this.staff;
  }

  /** One frame with every message after `cursor`: one message as an object, several as an array. */
  frameAfter(cursor: number): RoomFrame {
    const from = Math.max(0, cursor + 1 - (this.log[0]?.seq ?? cursor + 1));
    const parts = this.log.slice(from).map((e) => e.json);
    return roomFrame(parts.length === 1 ? parts[0] : `[${parts.join(',')}]`);
  }

  /** Forgets what every group has been sent. */
  trimLog(): void {
    const sent = Math.min(...this.groupCursors);
    let drop = 0;
    while (drop < this.log.length && this.log[drop].seq <= sent) drop++;
    if (drop > 0) this.log = this.log.slice(drop);
  }
}

interface Seat {
  socket: WebSocket;
  /** Who, for the room's analytics: the user, or 'd:' + the app's device id, or 'a:' + this socket. */
  actor: string;
  /** Since when the watch time not yet recorded runs (ms). */
  watchFrom: number;
  /** Likes tapped since the last like fact. */
  likes: number;
  /** Where room frames are written as ready-made bytes, when they may be (see rawSocketOf); else through `ws`. */
  raw: RawSocket | null;
  room: Room;
  viewer: RoomViewer | null;
  group: number;
  /** The last message of the room this socket was sent (or, for a joiner, had in its snapshot). */
  cursor: number;
  noticeSecond: number;
  notices: number;
}

/** Where the hub's analytics facts go (the analytics module's recorder); none in a hub without it. */
export interface RoomFacts {
  record(fact: AnalyticsEvent): void;
}

/** How a viewer arrived, as the room's WebSocket URL says. */
export interface RoomArrival {
  deviceId?: string;
  source?: Source;
}

/** A viewer's time in a room is recorded at least this often while they stay (and when they leave). */
const WATCH_FACT_MS = 30_000;
/** Back within this long after the connection was lost (no closing handshake: 1006) is the same view. */
const REENTRY_MS = 60_000;

export interface HubDeps {
  db: Db;
  clock: Clock;
  config: Config;
  counters: WindowCounters;
  log: FastifyBaseLogger;
  jobs: Jobs;
  metrics: Metrics;
}

export class LiveRoomHub {
  readonly nodeId = `node_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  private readonly rooms = new Map<string, Room>();
  private readonly seats = new Map<WebSocket, Seat>();
  /** The analytics recorder (set when the node has one). */
  facts: RoomFacts | null = null;
  /** Seats that tapped likes since the last like facts. */
  private readonly likers = new Set<Seat>();
  /** room id + actor → when their connection to this node's room was lost: coming back soon is not a new view. */
  private readonly lastLeft = new Map<string, number>();
  /** Rooms whose count this node sampled non-zero last time: their fall to zero is sampled once too. */
  private readonly sampledRooms = new Set<string>();
  private fanoutTick = 0;
  private fanoutTimer: NodeJS.Timeout | null = null;
  /** sessionId → nodeId → that node's latest count (this node's own counts are its rooms' socket sets). */
  private readonly remoteViewers = new Map<string, Map<string, { count: number; audience: number; at: number }>>();
  private readonly countsChanged = new Set<string>();
  private readonly writer: ChatWriter;
  private filter = new WordFilter([]);
  private unsubscribeGlobal: (() => void)[] = [];
  private readonly stats;

  constructor(
    private readonly deps: HubDeps,
    private readonly bus: MessageBus,
  ) {
    this.writer = new ChatWriter(deps.db, deps.log);
    const registers = [deps.metrics.registry];
    this.stats = {
      sockets: new Gauge({ name: 'hawker_room_sockets', help: 'Open live-room sockets on this node', registers }),
      frames: new Counter({ name: 'hawker_room_frames_sent_total', help: 'Frames sent to live-room sockets', registers }),
      slowConsumers: new Counter({ name: 'hawker_room_slow_consumers_dropped_total', help: 'Sockets closed for not reading', registers }),
      chat: new Counter({ name: 'hawker_room_chat_messages_total', help: 'Chat messages accepted on this node', registers }),
    };
    const { jobs } = deps;
    jobs.every('room-likes', LIKES_INTERVAL_MS, () => this.saveLikes());
    jobs.every('room-viewers', VIEWERS_INTERVAL_MS, async () => this.shareViewerCounts(false));
    jobs.every('room-viewers-heartbeat', VIEWERS_HEARTBEAT_MS, async () => this.shareViewerCounts(true));
    jobs.every('room-chat-writes', CHAT_WRITE_INTERVAL_MS, () => this.writer.flush());
    jobs.every('room-words', WORDS_RELOAD_MS, () => this.reloadWords());
    jobs.every('room-idle', ROOM_IDLE_MS / 2, async () => this.closeIdleRooms());
    jobs.every('room-analytics-likes', 1000, async () => this.recordLikes());
    jobs.every('room-analytics-online', ONLINE_SAMPLE_MS, async () => this.recordOnlineAndWatch());
  }

  async start(): Promise<void> {
    this.unsubscribeGlobal = [
      this.bus.subscribe(VIEWERS_SUBJECT, (raw) => this.onViewerCounts(raw)),
      this.bus.subscribe(WORDS_SUBJECT, () => void this.reloadWords().catch((err) => this.deps.log.error({ err }, 'word list reload failed'))),
    ];
    await this.reloadWords();
    this.scheduleFanout();
  }

  /** Chat text with the sensitive words masked (tips' messages use it too). */
  mask(text: string): string {
    return this.filter.mask(text);
  }

  async reloadWords(): Promise<void> {
    const rows = await this.deps.db.selectFrom('room_sensitive_words').select('word').execute();
    this.filter = new WordFilter(rows.map((r) => r.word));
  }

  /** After the operator saved a new list: this node reloads now, the others when the bus tells them. */
  async wordsChanged(): Promise<void> {
    await this.reloadWords();
    this.bus.publish(WORDS_SUBJECT, JSON.stringify({ n: this.nodeId }));
  }

  // ---- rooms ---------------------------------------------------------------------------------------

  private openRoom(sessionId: string): Room {
    let room = this.rooms.get(sessionId);
    if (room) return room;
    room = new Room(sessionId);
    this.rooms.set(sessionId, room);
    const opened = room;
    // Subscribe before loading, so nothing said in between is missed; what arrives meanwhile is merged.
    opened.unsubscribe = this.bus.subscribe(roomSubject(sessionId), (raw) => this.onRoomEnvelope(opened, raw));
    opened.ready = this.loadRoom(opened).then(
      () => void (opened.loaded = true),
      (err) => {
        opened.unsubscribe();
        if (this.rooms.get(sessionId) === opened) this.rooms.delete(sessionId);
        throw err;
      },
    );
    return opened;
  }

  private async loadRoom(room: Room): Promise<void> {
    const { db, clock, config } = this.deps;
    const [chats, likes, moderation, drop] = await Promise.all([
      db
        .selectFrom('room_messages')
        .select(['id', 'user_id', 'handle', 'text', 'created_at'])
        .where('live_session_id', '=', room.id)
        .where('deleted_at', 'is', null)
        .orderBy('id', 'desc')
        .limit(config.roomHistory)
        .execute(),
      db.selectFrom('room_likes').select('total').where('live_session_id', '=', room.id).executeTakeFirst(),
      db
        .selectFrom('room_moderation')
        .select(['user_id', 'kind', 'until'])
        .where('live_session_id', '=', room.id)
        .where((eb) => eb.or([eb('kind', '=', 'ban'), eb('until', '>', clock.now())]))
        .execute(),
      activeDropOf(db, room.id),
    ]);
    const stored = chats.reverse().map((c) => {
      const message: ChatMessage = { type: 'chat', id: c.id, user: { id: c.user_id, handle: c.handle }, text: c.text, at: c.created_at.toISOString() };
      return { id: c.id, json: JSON.stringify(message) };
    });
    const seen = new Set(room.history.map((h) => h.id));
    room.history = [...stored.filter((h) => !seen.has(h.id)), ...room.history].sort((a, b) => (a.id < b.id ? -1 : 1)).slice(-config.roomHistory);
    room.likes = Math.max(room.likes, likes?.total ?? 0);
    for (const m of moderation) {
      if (m.kind === 'ban') room.bans.add(m.user_id);
      else if (!room.mutes.has(m.user_id)) room.mutes.set(m.user_id, m.until!.getTime());
    }
    if (!room.pinnedKnown && drop) room.pinned = JSON.stringify({ type: 'drop', drop });
  }

  private closeIdleRooms(): void {
    const now = Date.now();
    for (const room of this.rooms.values()) {
      if (room.seats.size > 0 || !room.loaded || room.unsavedLikes > 0 || now - room.emptySince < ROOM_IDLE_MS) continue;
      room.unsubscribe();
      this.rooms.delete(room.id);
    }
    for (const room of this.rooms.values()) {
      for (const [userId, until] of room.mutes) if (until <= this.deps.clock.nowMs()) room.mutes.delete(userId);
    }
  }

  // ---- sockets -------------------------------------------------------------------------------------

  /** A viewer the route admitted (session exists, token valid, not banned) joins: snapshot first, then the room's frames. */
  async join(sessionId: string, socket: WebSocket, viewer: RoomViewer | null, arrival: RoomArrival = {}): Promise<void> {
    const room = this.openRoom(sessionId);
    const actor = viewer ? viewer.userId : arrival.deviceId ? `d:${arrival.deviceId}` : `a:${newId('sock')}`;
    const seat: Seat = { socket, raw: rawSocketOf(socket), room, viewer, actor, watchFrom: 0, likes: 0, group: 0, cursor: 0, noticeSecond: 0, notices: 0 };
    this.seats.set(socket, seat);
    socket.on('message', (data, isBinary) => this.receive(socket, seat, data, isBinary));
    socket.on('close', (code) => this.leave(socket, seat, code));
    await room.ready;
    if (socket.readyState !== WebSocket.OPEN || this.seats.get(socket) !== seat) return;
    if (viewer && !viewer.staff && room.bans.has(viewer.userId)) {
      this.sendTo(socket, { type: 'banned' });
      socket.close(4403, 'banned from this room');
      return;
    }
    room.seat(seat);
    seat.watchFrom = Date.now();
    // Staff in their own room are not its audience.
    const left = this.lastLeft.get(`${sessionId} ${actor}`);
    if (!viewer?.staff && !(left !== undefined && seat.watchFrom - left < REENTRY_MS)) {
      this.facts?.record({ id: newId('afe'), type: 'room_enter', at: seat.watchFrom, sessionId, actor, source: arrival.source ?? 'direct' });
    }
    this.stats.sockets.inc();
    this.countsChanged.add(sessionId);
    this.sendSnapshot(socket, room, viewer);
  }

  private leave(socket: WebSocket, seat: Seat, code = 1000): void {
    if (this.seats.get(socket) !== seat) return;
    this.seats.delete(socket);
    if (seat.room.unseat(seat)) {
      if (!seat.viewer?.staff) this.recordLeave(seat, code === 1006);
      this.stats.sockets.dec();
      this.countsChanged.add(seat.room.id);
      if (seat.room.seats.size === 0) seat.room.emptySince = Date.now();
    }
  }

  // ---- analytics facts -----------------------------------------------------------------------------

  private recordLeave(seat: Seat, lost: boolean): void {
    const now = Date.now();
    if (seat.likes) this.recordLikes();
    this.facts?.record({ id: newId('afw'), type: 'watch', at: now, sessionId: seat.room.id, actor: seat.actor, value: now - seat.watchFrom });
    this.facts?.record({ id: newId('afl'), type: 'room_leave', at: now, sessionId: seat.room.id, actor: seat.actor });
    if (lost) this.lastLeft.set(`${seat.room.id} ${seat.actor}`, now);
  }

  /** A burst of taps is one fact per viewer per second. */
  private recordLikes(): void {
    const at = Date.now();
    for (const seat of this.likers) {
      if (seat.likes && seat.viewer && !seat.viewer.staff) this.facts?.record({ id: newId('afk'), type: 'like', at, sessionId: seat.room.id, actor: seat.actor, quantity: seat.likes });
      seat.likes = 0;
    }
    this.likers.clear();
  }

  /**
   * Every ONLINE_SAMPLE_MS: this node's viewers of each of its rooms (summed over nodes by the store: peak online and
   * the online curve), and the watch time of viewers who have stayed WATCH_FACT_MS since their last watch fact.
   */
  private recordOnlineAndWatch(): void {
    if (!this.facts) return;
    const now = Date.now();
    const slot = Math.floor(now / ONLINE_SAMPLE_MS);
    for (const [key, at] of this.lastLeft) if (now - at >= REENTRY_MS) this.lastLeft.delete(key);
    for (const room of this.rooms.values()) {
      let audience = 0;
      for (const seat of room.seats) {
        if (seat.viewer?.staff) continue;
        audience++;
        if (now - seat.watchFrom >= WATCH_FACT_MS) {
          this.facts.record({ id: newId('afw'), type: 'watch', at: now, sessionId: room.id, actor: seat.actor, value: now - seat.watchFrom });
          seat.watchFrom = now;
        }
      }
      if (audience === 0 && !this.sampledRooms.has(room.id)) continue;
      if (audience === 0) this.sampledRooms.delete(room.id);
      else this.sampledRooms.add(room.id);
      this.facts.record({ id: `on:${this.nodeId}:${room.id}:${slot}`, type: 'online', at: now, sessionId: room.id, actor: this.nodeId, value: audience });
    }
  }

  private sendSnapshot(socket: WebSocket, room: Room, viewer: RoomViewer | null): void {
    const mutedUntil = viewer ? (room.mutes.get(viewer.userId) ?? 0) : 0;
    const welcome: PersonalMessage = {
      type: 'welcome',
      sessionId: room.id,
      user: viewer ? { id: viewer.userId, handle: viewer.handle } : null,
      staff: viewer?.staff ?? false,
      canChat: viewer !== null,
      mutedUntil: mutedUntil > this.deps.clock.nowMs() ? new Date(mutedUntil).toISOString() : null,
    };
    const count = this.viewersOf(room.id);
    const parts = [
      JSON.stringify(welcome),
      ...room.history.map((h) => h.json),
      JSON.stringify({ type: 'likes', total: room.likes }),
      JSON.stringify({ type: 'viewers', count }),
    ];
    if (room.pinned) parts.push(room.pinned);
    this.sendFrame(socket, Buffer.from(`[${parts.join(',')}]`));
  }

  private sendTo(socket: WebSocket, message: PersonalMessage): void {
    this.sendFrame(socket, Buffer.from(JSON.stringify(message)));
  }

  /** Every send goes through here: a socket whose unsent bytes passed the bound is not keeping up, and is closed. */
  private sendFrame(socket: WebSocket, data: Buffer | RoomFrame, raw: RawSocket | null = null): void {
    if (socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > this.deps.config.roomMaxBufferedBytes) {
      this.stats.slowConsumers.inc();
      // terminate, not close: a consumer that does not read would never finish the closing handshake.
      socket.terminate();
      return;
    }
    if (Buffer.isBuffer(data)) return void socket.send(data, TEXT_FRAME);
    if (raw) raw.write(data.wire);
    else socket.send(data.payload, TEXT_FRAME);
  }

  private notice(socket: WebSocket, seat: Seat, code: NoticeCode, message: string): void {
    const second = Math.floor(Date.now() / 1000);
    if (seat.noticeSecond !== second) {
      seat.noticeSecond = second;
      seat.notices = 0;
    }
    if (++seat.notices > NOTICES_PER_SECOND) return;
    this.sendTo(socket, { type: 'error', code, message });
  }

  private receive(socket: WebSocket, seat: Seat, data: WebSocket.RawData, isBinary: boolean): void {
    const message = isBinary ? null : parseClientMessage(data.toString());
    if (!message) return this.notice(socket, seat, 'bad_message', 'send {"type":"chat","text":…} or {"type":"like"}');
    if (!seat.viewer) return this.notice(socket, seat, 'sign_in_required', 'sign in to chat and like');
    if (message.type === 'like') {
      seat.room.unsavedLikes += 1;
      if (seat.likes++ === 0) this.likers.add(seat);
      return;
    }
    void this.chat(socket, seat, seat.viewer, message.text).catch((err) => this.deps.log.error({ err }, 'chat failed'));
  }

  private async chat(socket: WebSocket, seat: Seat, viewer: RoomViewer, raw: string): Promise<void> {
    const { room } = seat;
    const { clock, config, counters } = this.deps;
    const mutedUntil = room.mutes.get(viewer.userId);
    if (mutedUntil !== undefined && mutedUntil > clock.nowMs()) {
      return this.notice(socket, seat, 'muted', `you are muted in this room until ${new Date(mutedUntil).toISOString()}`);
    }
    const text = raw.trim();
    const chars = [...text].length;
    if (chars < 1 || chars > CHAT_MAX_CHARS) return this.notice(socket, seat, 'text_length', `a chat message has 1–${CHAT_MAX_CHARS} characters`);
    const window = await counters.hit(`room-chat:${room.id}:${viewer.userId}`, config.roomChatWindowSeconds * 1000);
    if (window.count > config.roomChatLimit) {
      return this.notice(socket, seat, 'rate_limited', `at most ${config.roomChatLimit} messages per ${config.roomChatWindowSeconds} s; wait ${Math.ceil(window.resetInMs / 1000)} s`);
    }
    const at = clock.now();
    const message: ChatMessage = { type: 'chat', id: newId('msg'), user: { id: viewer.userId, handle: viewer.handle }, text: this.filter.mask(text), at: at.toISOString() };
    this.writer.add({ id: message.id, live_session_id: room.id, user_id: viewer.userId, handle: viewer.handle, text: message.text, created_at: at, deleted_at: null, deleted_by: null });
    if (!viewer.staff) this.facts?.record({ id: `cm:${message.id}`, type: 'comment', at: at.getTime(), sessionId: room.id, actor: viewer.userId });
    this.stats.chat.inc();
    this.publish(room.id, message);
  }

  // ---- messages ------------------------------------------------------------------------------------

  /** Says something in a room, to its viewers on every node (drops, tips and moderation use this). */
  publish(sessionId: string, message: RoomMessage): void {
    this.bus.publish(roomSubject(sessionId), JSON.stringify({ n: this.nodeId, k: 'msg', m: message } satisfies RoomEnvelope));
    this.apply(sessionId, message);
  }

  /** Appends a message to the room's log, and keeps the snapshot a joiner gets (history, pinned drop) current. */
  private apply(sessionId: string, message: RoomMessage): void {
    if (message.type === 'chat_deleted') this.writer.markDeleted(message.id, this.deps.clock.now());
    const room = this.rooms.get(sessionId);
    if (!room) return;
    const json = JSON.stringify(message);
    room.head += 1;
    if (room.seats.size > 0) room.log.push({ seq: room.head, json });
    if (message.type === 'chat') {
      room.history.push({ id: message.id, json });
      if (room.history.length > this.deps.config.roomHistory) room.history.shift();
    } else if (message.type === 'chat_deleted') {
      room.history = room.history.filter((h) => h.id !== message.id);
    } else if (message.type === 'drop') {
      room.pinnedKnown = true;
      room.pinned = message.drop.status === 'active' ? json : null;
    }
  }

  private onRoomEnvelope(room: Room, raw: string): void {
    let env: RoomEnvelope;
    try {
      env = JSON.parse(raw) as RoomEnvelope;
    } catch {
      return;
    }
    if (env.n === this.nodeId) return;
    if (env.k === 'msg') this.apply(room.id, env.m);
    else if (env.k === 'likes') this.likesCounted(room, env.total);
    else if (env.k === 'mod') this.applyModeration(room, env);
  }

  /** How long each socket waits between frames: ROOM_FLUSH_MS, or longer when the node's frame budget says so. */
  fanoutPeriodMs(): number {
    const { roomFlushMs, roomMaxFramesPerSecond } = this.deps.config;
    return Math.max(roomFlushMs, (1000 * this.seats.size) / roomMaxFramesPerSecond);
  }

  /** One group per tick, at a fixed rate: a pass that ran long shortens the wait before the next (never below 0). */
  private scheduleFanout(delayMs = 0): void {
    this.fanoutTimer = setTimeout(() => {
      const started = performance.now();
      try {
        this.flushGroup(this.fanoutTick++ % FANOUT_GROUPS);
      } catch (err) {
        this.deps.log.error({ err }, 'room fan-out failed');
      }
      this.scheduleFanout(Math.max(0, this.fanoutPeriodMs() / FANOUT_GROUPS - (performance.now() - started)));
    }, delayMs);
  }

  /** Sends one group of every room what was said since each of its sockets' last frame. */
  private flushGroup(group: number): void {
    let sends = 0;
    for (const room of this.rooms.values()) {
      if (room.log.length > 0) {
        // Sockets behind by the same messages (nearly all of them) share one frame.
        const frames = new Map<number, RoomFrame>();
        for (const seat of room.groups[group]) {
          if (seat.cursor >= room.head) continue;
          let frame = frames.get(seat.cursor);
          if (!frame) frames.set(seat.cursor, (frame = room.frameAfter(seat.cursor)));
          seat.cursor = room.head;
          this.sendFrame(seat.socket, frame, seat.raw);
          sends += 1;
        }
      }
      room.groupCursors[group] = room.head;
      room.trimLog();
    }
    if (sends > 0) this.stats.frames.inc(sends);
  }

  // ---- likes ---------------------------------------------------------------------------------------

  /** Adds this node's taps to the stored totals (one statement for all rooms) and tells every node the new totals. */
  private async saveLikes(): Promise<void> {
    const counted = [...this.rooms.values()].filter((r) => r.unsavedLikes > 0).map((room) => ({ room, taps: room.unsavedLikes }));
    for (const { room } of counted) room.unsavedLikes = 0;
    if (counted.length > 0) {
      try {
        const totals = await this.deps.db
          .insertInto('room_likes')
          .values(counted.map(({ room, taps }) => ({ live_session_id: room.id, total: taps })))
          .onConflict((oc) => oc.column('live_session_id').doUpdateSet({ total: sql<number>`room_likes.total + excluded.total` }))
          .returning(['live_session_id', 'total'])
          .execute();
        for (const { live_session_id, total } of totals) {
          const room = this.rooms.get(live_session_id);
          if (room) this.likesCounted(room, total);
          this.bus.publish(roomSubject(live_session_id), JSON.stringify({ n: this.nodeId, k: 'likes', total } satisfies RoomEnvelope));
        }
      } catch (err) {
        for (const { room, taps } of counted) room.unsavedLikes += taps;
        throw err;
      }
    }
    // At most one likes message per room per interval, however many taps and nodes.
    for (const room of this.rooms.values()) {
      if (!room.likesToPush) continue;
      room.likesToPush = false;
      this.apply(room.id, { type: 'likes', total: room.likes });
    }
  }

  /** Stored totals only grow, so the largest one any node reported is the current one. */
  private likesCounted(room: Room, total: number): void {
    if (total <= room.likes) return;
    room.likes = total;
    room.likesToPush = true;
  }

  // ---- viewers -------------------------------------------------------------------------------------

  /** Open sockets in the room across all nodes (what viewers see as the room's count). */
  viewersOf(sessionId: string): number {
    return this.countOf(sessionId, 'count');
  }

  /** The room's audience across all nodes: open sockets less the staff's (the analytics' online now). */
  audienceOf(sessionId: string): number {
    return this.countOf(sessionId, 'audience');
  }

  private countOf(sessionId: string, what: 'count' | 'audience'): number {
    const room = this.rooms.get(sessionId);
    let count = room ? (what === 'count' ? room.seats.size : room.audience) : 0;
    const remote = this.remoteViewers.get(sessionId);
    if (remote) {
      const fresh = Date.now() - VIEWERS_EXPIRY_MS;
      for (const entry of remote.values()) if (entry.at >= fresh) count += entry[what];
    }
    return count;
  }

  private shareViewerCounts(all: boolean): void {
    const ids = all ? [...this.rooms.keys()].filter((id) => this.rooms.get(id)!.seats.size > 0 || this.countsChanged.has(id)) : [...this.countsChanged];
    this.countsChanged.clear();
    if (ids.length > 0) {
      // [session, sockets, audience]; a node of an older version sends no audience (taken as all of its sockets).
      const counts = ids.map((id) => {
        const room = this.rooms.get(id);
        return [id, room?.seats.size ?? 0, room?.audience ?? 0] as const;
      });
      this.bus.publish(VIEWERS_SUBJECT, JSON.stringify({ n: this.nodeId, counts }));
    }
    if (all) this.forgetSilentNodes();
    this.pushViewerCounts();
  }

  private onViewerCounts(raw: string): void {
    let env: { n: string; counts: [string, number, number?][] };
    try {
      env = JSON.parse(raw);
    } catch {
      return;
    }
    if (env.n === this.nodeId || !Array.isArray(env.counts)) return;
    const at = Date.now();
    for (const [sessionId, count, audience = count] of env.counts) {
      let nodes = this.remoteViewers.get(sessionId);
      if (count === 0) {
        nodes?.delete(env.n);
        if (nodes?.size === 0) this.remoteViewers.delete(sessionId);
        continue;
      }
      if (!nodes) this.remoteViewers.set(sessionId, (nodes = new Map()));
      nodes.set(env.n, { count, audience, at });
    }
  }

  private forgetSilentNodes(): void {
    const fresh = Date.now() - VIEWERS_EXPIRY_MS;
    for (const [sessionId, nodes] of this.remoteViewers) {
      for (const [node, entry] of nodes) if (entry.at < fresh) nodes.delete(node);
      if (nodes.size === 0) this.remoteViewers.delete(sessionId);
    }
  }

  /** Viewers hear the count when it changed, at most once per interval. */
  private pushViewerCounts(): void {
    for (const room of this.rooms.values()) {
      if (room.seats.size === 0) continue;
      const count = this.viewersOf(room.id);
      if (count === room.viewersPushed) continue;
      room.viewersPushed = count;
      this.apply(room.id, { type: 'viewers', count });
    }
  }

  // ---- moderation ----------------------------------------------------------------------------------

  /** A mute, ban or lift recorded by the moderation service takes effect on every node. */
  moderate(sessionId: string, action: ModerationAction): void {
    this.bus.publish(roomSubject(sessionId), JSON.stringify({ n: this.nodeId, k: 'mod', ...action } satisfies RoomEnvelope));
    const room = this.rooms.get(sessionId);
    if (room) this.applyModeration(room, action);
  }

  private applyModeration(room: Room, action: ModerationAction): void {
    const sockets = [...room.seats].filter((s) => s.viewer?.userId === action.userId).map((s) => s.socket);
    if (action.action === 'lift') {
      room.mutes.delete(action.userId);
      room.bans.delete(action.userId);
    } else if (action.action === 'mute') {
      room.mutes.set(action.userId, action.until);
      for (const s of sockets) this.sendTo(s, { type: 'muted', until: new Date(action.until).toISOString() });
    } else {
      room.bans.add(action.userId);
      for (const s of sockets) {
        this.sendTo(s, { type: 'banned' });
        s.close(4403, 'banned from this room');
      }
    }
  }

  /** Writes the chat this node accepted and has not stored yet. */
  flushChat(): Promise<void> {
    return this.writer.flush();
  }

  // ---- shutdown ------------------------------------------------------------------------------------

  /** After the jobs stopped and the sockets closed: store what is pending and tell other nodes our viewers left. */
  async close(): Promise<void> {
    if (this.fanoutTimer) clearTimeout(this.fanoutTimer);
    const open = [...this.rooms.keys()];
    if (open.length > 0) this.bus.publish(VIEWERS_SUBJECT, JSON.stringify({ n: this.nodeId, counts: open.map((id) => [id, 0]) }));
    for (const socket of this.seats.keys()) socket.terminate();
    await this.saveLikes().catch((err) => this.deps.log.error({ err }, 'likes not saved at shutdown'));
    await this.writer.flush();
    for (const room of this.rooms.values()) room.unsubscribe();
    for (const unsubscribe of this.unsubscribeGlobal) unsubscribe();
    this.rooms.clear();
    await this.bus.close();
  }
}
