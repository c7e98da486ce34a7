// The parts of node-media-server v4 Hawker builds on, typed. Hawker does not run its NodeMediaServer:
// that class binds its HTTP/admin servers, a JSON store under ./data, and exits the process when a port is
// taken. Hawker runs the library's RTMP session (handshake, chunking, AMF) on its own listener, and its
// broadcast (GOP cache, FLV muxing, fan-out) for FLV viewers and for the HLS remuxer.
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { FlvSink } from './engine.ts';

const require = createRequire(import.meta.url);

/** An audio/video/data message of the stream. */
export interface AVPacket {
  codec_type: number;
  flags: number;
  dts: number;
  data: Buffer;
}

/** What a broadcast needs of a subscriber; an empty `ip` marks it internal (no play events, no auth). */
interface Subscriber {
  id: string;
  ip: string;
  protocol: 'flv';
  endTime: number;
  sendBuffer(chunk: Buffer): void;
}

export interface Broadcast {
  publisher: object | null;
  postPlay(session: Subscriber): string | null;
  donePlay(session: Subscriber): void;
  broadcastMessage(packet: AVPacket): void;
  /** Ends the publish now: codec headers and GOP cache dropped, no 30 s "resume" window for a reconnect from the same address. */
  _finishPublish(): void;
}

export interface RtmpSession {
  id: string;
  socket: Socket;
  streamApp: string;
  streamName: string;
  isPublisher: boolean;
  broadcast: Broadcast;
  rtmp: { onPushCallback: () => void; onPlayCallback: () => void };
  run(): void;
  /** The library's own publish step: registers the session as the broadcast's publisher. */
  onPush(): void;
}

export interface FlvParser {
  onPacketCallback: (packet: AVPacket) => void;
  parserData(chunk: Buffer): string | null;
}

export const RtmpSession = require('node-media-server/src/session/rtmp_session.js') as new (socket: Socket) => RtmpSession;
export const BroadcastServer = require('node-media-server/src/server/broadcast_server.js') as new (streamPath: string) => Broadcast;
export const FlvParser = require('node-media-server/src/protocol/flv.js') as new () => FlvParser;

const nmsLogger = require('node-media-server/src/core/logger.js') as { log: (message: string, level?: string) => void };

/** The library logs with console.log; send its lines to Hawker's logger instead (its info is our debug). */
export function routeLibraryLogs(log: FastifyBaseLogger): void {
  nmsLogger.log = (message, level = 'info') => {
    if (level === 'error') log.warn({ engine: 'node-media-server' }, message);
    else if (level === 'warn') log.info({ engine: 'node-media-server' }, message);
    else log.trace({ engine: 'node-media-server' }, message);
  };
}

let viewerSeq = 0;

const SET_DATA_FRAME = Buffer.concat([Buffer.from([0x02, 0x00, 0x0d]), Buffer.from('@setDataFrame')]);

/**
 * An RTMP publisher's metadata arrives as `@setDataFrame onMetaData {…}`, and the library copies it into
 * the FLV script tag as is. In FLV the tag must start with `onMetaData`: ffmpeg takes anything else for a
 * data stream (and then probes it for seconds before remuxing), players ignore it. Rewrite it.
 */
function asFlvMetadata(tag: Buffer): Buffer {
  if (tag[0] !== 0x12 || !tag.subarray(11, 11 + SET_DATA_FRAME.length).equals(SET_DATA_FRAME)) return tag;
  const data = tag.subarray(11 + SET_DATA_FRAME.length, tag.length - 4);
  const out = Buffer.alloc(11 + data.length + 4);
  tag.copy(out, 0, 0, 11);
  out.writeUIntBE(data.length, 1, 3);
  data.copy(out, 11);
  out.writeUInt32BE(11 + data.length, 11 + data.length);
  return out;
}

/** FLV viewers of one broadcast: each gets header, codec headers and the GOP cache, then the live tags. */
export class FlvFanout {
  private readonly sinks = new Map<Subscriber, FlvSink>();

  constructor(readonly broadcast: Broadcast) {}

  attach(sink: FlvSink): () => void {
    const subscriber: Subscriber = { id: `hawker-${++viewerSeq}`, ip: '', protocol: 'flv', endTime: 0, sendBuffer: (chunk) => sink.write(asFlvMetadata(chunk)) };
    this.sinks.set(subscriber, sink);
    this.broadcast.postPlay(subscriber);
    return () => this.detach(subscriber);
  }

  /** Ends every viewer (the publish stopped). */
  close(): void {
    for (const [subscriber, sink] of [...this.sinks]) {
      this.detach(subscriber);
      sink.end();
    }
  }

  private detach(subscriber: Subscriber): void {
    if (!this.sinks.delete(subscriber)) return;
    this.broadcast.donePlay(subscriber);
  }
}
