// Media storage on local disk: one file per key under the storage directory (STORAGE_DIR, by default under DATA_DIR).
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { checkKey, contentTypeOf, type ByteRange, type MediaStorage, type StoredObject } from './storage.ts';

export class LocalStorage implements MediaStorage {
  readonly kind = 'local';
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  private pathOf(key: string): string {
    return join(this.dir, checkKey(key));
  }

  async putFile(key: string, path: string): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    // Copied beside its final name and renamed, so a reader never sees half a file.
    const partial = `${target}.partial-${process.pid}`;
    await copyFile(path, partial);
    await rename(partial, target);
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject | null> {
    const path = this.pathOf(key);
    let size: number;
    try {
      const s = await stat(path);
      if (!s.isFile()) return null;
      size = s.size;
    } catch {
      return null;
    }
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? size - 1, size - 1);
    if (size > 0 && start > end) return null;
    return { body: createReadStream(path, { start, end: Math.max(end, start) }), size, start, end, contentType: contentTypeOf(key) };
  }

  async localCopy(key: string): Promise<string> {
    const path = this.pathOf(key);
    await stat(path);
    return path;
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(join(this.dir, checkKey(prefix.replace(/\/$/, ''))), { recursive: true, force: true });
  }

  publicUrl(): string | null {
    return null;
  }
}
