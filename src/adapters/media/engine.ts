// The media-engine interface: what Hawker needs from whatever takes RTMP in. An engine asks Hawker to
// authorize every publish, writes each publish's HLS to MEDIA_DIR/<publish id>/index.m3u8 (segments
// beside it, named <n>.ts), fans the stream out as HTTP-FLV, and cuts a publisher off when told.
import { join } from 'node:path';
import type { StreamStopReason } from '../db/schema.ts';

/** A publish Hawker accepted: the session it feeds and the id its recording and HLS go under. */
export interface PublishGrant {
  sessionId: string;
  publishId: string;
  /** The key it was authorized with; once it stops authorizing the session (rotated), the publisher is cut off. */
  streamKey: string;
}

/** Hawker's side of the engine: the engine calls these, never the database. */
export interface PublishHooks {
  /** A publisher asks to publish with this stream key; null refuses it (the publisher is disconnected). */
  authorize(streamKey: string, remoteAddress: string): Promise<PublishGrant | null>;
  /** The publish ended: the publisher left or was cut off. */
  stopped(grant: PublishGrant, reason: StreamStopReason): Promise<void>;
}

/** Where one viewer's FLV bytes go. */
export interface FlvSink {
  write(chunk: Buffer): void;
  end(): void;
}

export interface MediaEngine {
  readonly kind: 'builtin' | 'nginx';
  start(hooks: PublishHooks): Promise<void>;
  /** Cuts every publisher off, waits for their recordings to close, and stops listening. */
  stop(): Promise<void>;
  /** The publishes running on this node now. */
  publishing(): PublishGrant[];
  /** Cuts a publisher off now (its session ended, its key was rotated); `stopped` follows with the reason. */
  disconnect(publishId: string, reason: StreamStopReason): void;
  /**
   * Starts an FLV viewer of a session published on this node: header, metadata and codec headers,
   * then the stream from its last keyframe. Null when the session is not published here. The answer
   * detaches the viewer; the engine ends the sink itself when the publish stops.
   */
  watchFlv(sessionId: string, sink: FlvSink): (() => void) | null;
}

/** The directory a publish's HLS is written to, by every engine. */
export function publishDir(mediaDir: string, publishId: string): string {
  return join(mediaDir, publishId);
}

/** Stream keys, apps and publish ids are path segments of URLs and file names: nothing else gets through. */
export const SAFE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
