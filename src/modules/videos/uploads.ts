// Resumable uploads (tus 1.0, @tus/server with its file store) at /api/v1/uploads: a creator sends a video of up
// to UPLOAD_MAX_BYTES in as many pieces as the connection allows and resumes where the server says it stopped,
// also after a server restart (the pieces and each upload's record are files under DATA_DIR/uploads). Every
// request carries the bearer token; an upload belongs to the user who created it and nobody else sees it.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileStore } from '@tus/file-store';
import type { Server, Upload } from '@tus/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import { requireVideoCreator } from './access.ts';

/** An upload not posted as a video this long after it started is removed. */
const EXPIRE_MS = 24 * 3600_000;

/** A refusal tus sends as the response (status and body), in Hawker's error shape. */
const tusRefusal = (err: AppError) => ({ status_code: err.status, body: JSON.stringify({ error: { code: err.code, message: err.message } }) });

export class VideoUploads {
  readonly directory: string;
  private tus: Promise<{ store: FileStore; server: Server }> | null = null;

  constructor(private readonly ctx: AppContext) {
    this.directory = join(ctx.config.dataDir, 'uploads');
  }

  /** tus's server and store, loaded on first use: ~100 ms of imports a node that takes no upload need not pay at start. */
  private open(): Promise<{ store: FileStore; server: Server }> {
    this.tus ??= (async () => {
      const [{ FileStore }, { Server }] = await Promise.all([import('@tus/file-store'), import('@tus/server')]);
      const { ctx } = this;
      // Upload-Expires tells clients how long they have to finish.
      const store = new FileStore({ directory: this.directory, expirationPeriodInMilliseconds: EXPIRE_MS });
      const server = new Server({
        path: '/api/v1/uploads',
        datastore: store,
        maxSize: ctx.config.uploadMaxBytes,
        // Relative, so the upload URL is right behind any proxy or CDN.
        relativeLocation: true,
        // The signed-in creator owns the upload: recorded in its metadata, where the client cannot set it.
        onUploadCreate: async (req, upload) => {
          const type = upload.metadata?.filetype ?? upload.metadata?.contentType;
          if (type && !/^video\//i.test(type)) throw tusRefusal(new AppError(415, 'unsupported_media_type', `only video files can be uploaded, not ${type.slice(0, 60)}`));
          const token = /^Bearer\s+(\S+)$/i.exec(req.headers.get('authorization') ?? '')?.[1];
          const principal = token ? await ctx.accounts.authenticate(token) : null;
          if (!principal) throw tusRefusal(new AppError(401, 'unauthorized', 'sign in first'));
          return { metadata: { ...upload.metadata, owner: principal.userId } };
        },
      });
      return { store, server };
    })();
    return this.tus;
  }

  /** The caller's upload, or 404 for an unknown upload or someone else's. */
  async ownUpload(uploadId: string, userId: string): Promise<Upload> {
    let upload: Upload;
    try {
      upload = await (await this.open()).store.getUpload(uploadId);
    } catch {
      throw notFound('upload');
    }
    if (upload.metadata?.owner !== userId) throw notFound('upload');
    return upload;
  }

  /** A finished upload of the caller's: its file and size. */
  async finished(uploadId: string, userId: string): Promise<{ path: string; size: number }> {
    const upload = await this.ownUpload(uploadId, userId);
    if (upload.size === undefined || upload.offset !== upload.size) throw invalidState(`the upload is not finished: ${upload.offset} of ${upload.size ?? '?'} bytes received`);
    return { path: join(this.directory, uploadId), size: upload.size };
  }

  async remove(uploadId: string): Promise<void> {
    await (await this.open()).store.remove(uploadId);
  }

  /** Uploads started over a day ago and never posted as a video, finished or not. */
  async removeExpired(): Promise<number> {
    const records = (await readdir(this.directory).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
    if (!records.length) return 0;
    let removed = 0;
    const { store } = await this.open();
    const before = this.ctx.clock.nowMs() - EXPIRE_MS;
    for (const file of records) {
      const id = file.slice(0, -'.json'.length);
      const upload = await store.getUpload(id).catch(() => null);
      if (upload?.creation_date && Date.parse(upload.creation_date) < before) {
        await store.remove(id);
        removed++;
      }
    }
    return removed;
  }

  /**
   * The tus endpoint under /api/v1. Hawker checks the caller before tus sees the request (401, 403 for a user who
   * may not post videos, 404 for someone else's upload); tus then answers the protocol (Upload-Offset, …).
   */
  routes(api: App): void {
    const uploads = this;
    api.register(async (scope) => {
      // tus reads the body itself from the raw request: Fastify must leave the stream alone.
      scope.addContentTypeParser('application/offset+octet-stream', (_req, _payload, done) => done(null));
      const hand = async (req: FastifyRequest, reply: FastifyReply) => {
        reply.hijack();
        const { server } = await uploads.open();
        await server.handle(req.raw, reply.raw);
      };
      scope.route({
        method: ['POST', 'OPTIONS'],
        url: '/uploads',
        schema: { hide: true, summary: 'tus: create an upload (Upload-Length, Upload-Metadata filename/filetype)' },
        handler: async (req, reply) => {
          if (req.method === 'POST') await requireVideoCreator(uploads.ctx, await uploads.ctx.accounts.requireUser(req));
          await hand(req, reply);
        },
      });
      scope.route({
        method: ['HEAD', 'PATCH', 'DELETE', 'OPTIONS'],
        url: '/uploads/:uploadId',
        schema: { hide: true, summary: 'tus: the offset (HEAD), the next piece (PATCH), or cancel (DELETE)', params: Type.Object({ uploadId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) }) },
        handler: async (req, reply) => {
          if (req.method !== 'OPTIONS') {
            const principal = await uploads.ctx.accounts.requireUser(req);
            await uploads.ownUpload((req.params as { uploadId: string }).uploadId, principal.userId);
          }
          await hand(req, reply);
        },
      });
    });
  }
}
