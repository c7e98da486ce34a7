import type { StorageConfig } from '../../config.ts';
import { LocalStorage } from './local.ts';
import type { MediaStorage } from './storage.ts';

export type { ByteRange, MediaStorage, StoredObject } from './storage.ts';
export { contentTypeOf } from './storage.ts';

/** Local disk by default; S3 when S3_BUCKET is set (the AWS SDK is loaded only then: it is large, and a start is shorter without it). */
export async function openStorage(config: StorageConfig): Promise<MediaStorage> {
  if (config.kind === 'local') return new LocalStorage(config.dir);
  const { S3Storage } = await import('./s3.ts');
  return new S3Storage(config);
}
