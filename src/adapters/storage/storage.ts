// Media storage: one interface, two implementations — local disk under DATA_DIR (default) and an S3-compatible
// object store. Keys are slash-separated names ("videos/<id>/<run>/720p/3.ts") that are written once and never
// change, so whatever serves them can cache them for a year.
import type { Readable } from 'node:stream';

/** A byte range asked for by a reader (HTTP Range): `end` inclusive, or to the end of the object. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface StoredObject {
  body: Readable;
  /** The whole object's size. */
  size: number;
  /** The bytes `body` carries: the range's, or the whole object's. */
  start: number;
  end: number;
  contentType: string;
}

export interface MediaStorage {
  readonly kind: 'local' | 's3';
  /** Stores a local file's bytes under `key`. */
  putFile(key: string, path: string, contentType: string): Promise<void>;
  /** The object (or a range of it), or null when there is none (or the range starts past its end). */
  get(key: string, range?: ByteRange): Promise<StoredObject | null>;
  /** A path on this machine holding the object's bytes, for a reader that needs a file (ffmpeg): the object's own file (local) or a copy made at `scratch`. */
  localCopy(key: string, scratch: string): Promise<string>;
  /** Removes every object whose key starts with `prefix` (a directory: "videos/<id>/"). */
  deletePrefix(prefix: string): Promise<void>;
  /** Where a client reads the object straight from the store (S3_PUBLIC_URL, a CDN or a public bucket), or null: through Hawker. */
  publicUrl(key: string): string | null;
}

/** Keys are made by Hawker, but a key that could leave its directory is a bug caught here rather than a path traversal. */
export const SAFE_KEY = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

export function checkKey(key: string): string {
  if (!SAFE_KEY.test(key) || key.split('/').some((part) => part === '..' || part === '.')) throw new Error(`unsafe storage key "${key}"`);
  return key;
}

const CONTENT_TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
  mp4: 'video/mp4',
  jpg: 'image/jpeg',
  webp: 'image/webp',
};

/** The content type of a media file by its extension. */
export function contentTypeOf(key: string): string {
  return CONTENT_TYPES[key.slice(key.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}
