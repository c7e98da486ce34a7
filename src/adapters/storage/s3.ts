// Media storage in an S3-compatible object store (AWS S3, MinIO, Ceph, R2, OSS/COS in S3 mode) through the AWS SDK.
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { StorageConfig } from '../../config.ts';
import { checkKey, type ByteRange, type MediaStorage, type StoredObject } from './storage.ts';

type S3Config = Extract<StorageConfig, { kind: 's3' }>;

/** Statuses S3 answers for a key that is not there, or a range past its end. */
const ABSENT = new Set([404, 416]);

export class S3Storage implements MediaStorage {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly base: string | null;

  constructor(config: S3Config) {
    this.bucket = config.bucket;
    this.base = config.publicUrl;
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle,
      // The SDK's default checksums send streamed bodies aws-chunked with a trailer, which S3-compatible stores
      // (MinIO's older releases, Ceph, s3rver) store verbatim; checksums only where S3 requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(config.accessKeyId && config.secretAccessKey ? { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } } : {}),
    });
  }

  async putFile(key: string, path: string, contentType: string): Promise<void> {
    const { size } = await stat(path);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: checkKey(key),
        Body: createReadStream(path),
        ContentLength: size,
        ContentType: contentType,
        // Read straight from the bucket (S3_PUBLIC_URL, a CDN) these are as immutable as through Hawker.
        CacheControl: key.endsWith('.m3u8') ? 'no-cache' : 'public, max-age=31536000, immutable',
      }),
    );
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject | null> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: checkKey(key), Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined }),
      );
      const length = out.ContentLength ?? 0;
      // "bytes 0-99/1234" when a range was served; otherwise the whole object.
      const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(out.ContentRange ?? '');
      const [start, end, size] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, length - 1, length];
      return { body: out.Body as Readable, size, start, end, contentType: out.ContentType ?? 'application/octet-stream' };
    } catch (err) {
      if (err instanceof S3ServiceException && ABSENT.has(err.$metadata.httpStatusCode ?? 0)) return null;
      throw err;
    }
  }

  async localCopy(key: string, scratch: string): Promise<string> {
    const found = await this.get(key);
    if (!found) throw new Error(`storage: no object ${key}`);
    const path = join(scratch, key.replaceAll('/', '_'));
    await pipeline(found.body, createWriteStream(path));
    return path;
  }

  async deletePrefix(prefix: string): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: checkKey(prefix.replace(/\/$/, '')) + '/', ContinuationToken: token }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (keys.length) await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  publicUrl(key: string): string | null {
    return this.base ? `${this.base}/${checkKey(key)}` : null;
  }
}
