// Posting a short video, in the console and in the buyer app: the file goes up over tus (tus-js-client) while the
// creator writes the title and picks the products; the post then follows the video's processing until it is
// ready or failed. The upload survives a dropped connection and a server restart (tus-js-client retries and asks
// the server where it stopped) and a page reload (its URL is kept in localStorage under the file's fingerprint:
// choosing the same file again continues it).
import { useEffect, useRef, useState } from 'preact/hooks';
import * as tus from 'tus-js-client';
import { ApiError, api, auth, get } from './api.ts';
import { type CreatorVideo, VideoStatusBadge } from './CreatorVideos.tsx';
import { formatMoney } from './format.ts';
import { t } from './i18n.ts';
import { Link } from './router.tsx';
import type { Product, ShowcaseItem } from './types.ts';
import { errorText, useInterval, useResource, useSubmit } from './ui.tsx';
import './VideoUploadForm.css';

/** The server's limits (src/modules/videos/rules.ts). */
const MAX_PRODUCTS = 5;
const MAX_TITLE = 100;
const MAX_DESCRIPTION = 2000;
/** A piece per PATCH: a dropped connection costs at most this much again, and the server records each piece. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Waits before each retry of a failed request: a restarting server has about a minute to come back. */
const RETRY_DELAYS = [0, 1000, 2000, 4000, 8000, 15_000, 30_000, 30_000];
const STATUS_POLL_MS = 2000;
const FINGERPRINT_PREFIX = 'hawker-video';

/** A SKU the creator may hang under the video. */
interface LinkableSku {
  skuId: string;
  title: string;
  skuName: string;
  price: number;
}

/** A #话题 as the server finds it (src/modules/videos/rules.ts topicsOf), shown before posting. */
const HASHTAG = /#([\p{L}\p{N}\p{M}_]{1,30})/gu;
const topicsIn = (...texts: string[]) => [...new Set(texts.flatMap((text) => [...text.matchAll(HASHTAG)].map((m) => m[1].normalize('NFKC').toLowerCase())))].slice(0, 10);

const megabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;

/** What a tus request that failed says, as an ApiError when the server answered in Hawker's error shape. */
function tusFailure(err: Error | tus.DetailedError): unknown {
  const res = 'originalResponse' in err ? err.originalResponse : null;
  if (!res) return new ApiError(0, 'network', err.message);
  const status = res.getStatus();
  if (status === 413) return t('creatorVideos.uploadErrors.tooBig');
  if (status === 415) return t('creatorVideos.uploadErrors.notVideo');
  try {
    const body = JSON.parse(res.getBody()) as { error?: { code: string; message: string } };
    if (body.error) return new ApiError(status, body.error.code, body.error.message);
  } catch {
    // not Hawker's answer (a proxy's page)
  }
  return new ApiError(status, `http_${status}`, res.getBody().slice(0, 200));
}

/** A refusal the server explains (403: what tier is missing) in its own words, anything else as errorText does. */
const refusal = (err: unknown) => (err instanceof ApiError && err.status === 403 && err.message ? `${t('errors.forbidden')} ${err.message}` : errorText(err));

/** The SKUs the creator may link: the shop's listed products for a shop's post, the showcase's for an influencer's. */
async function linkableSkus(shopId: string | null, signal: AbortSignal): Promise<LinkableSku[]> {
  const products = shopId
    ? (await get<{ products: Product[] }>(`/shops/${shopId}/products?status=listed&limit=100`, signal)).products
    : await Promise.all(
        (await get<{ items: ShowcaseItem[] }>('/me/showcase', signal)).items
          .filter((i) => i.offer.status === 'active')
          .slice(0, 50)
          .map((i) => get<{ product: Product }>(`/products/${i.offer.productId}`, signal).then((r) => r.product)),
      );
  return products.filter((p) => p.status === 'listed').flatMap((p) => p.skus.map((s) => ({ skuId: s.id, title: p.title, skuName: s.name, price: s.price })));
}

type Phase = 'idle' | 'uploading' | 'paused' | 'uploaded';

/** `onPosted` is called with the posted video, and again once its processing is over. */
export function VideoUploadForm({ shopId, onPosted }: { shopId: string | null; onPosted?: (video: CreatorVideo) => void }) {
  const userId = auth.user?.id ?? '';
  const upload = useRef<tus.Upload | null>(null);
  const [phase, setPhase] = useState<Phase>('idle');
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState({ sent: 0, total: 0 });
  const [resumedFrom, setResumedFrom] = useState<number | null>(null);
  const [retrying, setRetrying] = useState(false);
  const [uploadError, setUploadError] = useState<unknown>(null);
  const [uploadId, setUploadId] = useState<string | null>(null);
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [skuIds, setSkuIds] = useState<string[]>([]);
  const [posted, setPosted] = useState<CreatorVideo | null>(null);
  const skus = useResource((signal) => linkableSkus(shopId, signal), [shopId]);
  const unfinished = useResource(() => unfinishedUploads(userId), [userId]);

  // Leaving the page stops sending; the server keeps what it got, and choosing the file again continues it.
  useEffect(() => () => void upload.current?.abort(), []);
  useEffect(() => setSkuIds([]), [shopId]);

  const begin = async (chosen: File) => {
    await upload.current?.abort();
    setFile(chosen);
    setUploadId(null);
    setUploadError(null);
    setResumedFrom(null);
    setProgress({ sent: 0, total: chosen.size });
    if (!title) setTitle(chosen.name.replace(/\.[^.]+$/, '').slice(0, MAX_TITLE));
    const u: tus.Upload = new tus.Upload(chosen, {
      endpoint: '/api/v1/uploads',
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS,
      metadata: { filename: chosen.name, ...(chosen.type ? { filetype: chosen.type } : {}) },
      // The signed-in user is part of it: someone else's unfinished upload on this browser is not theirs to continue.
      fingerprint: async (f) => [FINGERPRINT_PREFIX, userId, f.name, f.type, f.size, f.lastModified].join('/'),
      // A finished upload is posted once; a new post of the same file uploads it again.
      removeFingerprintOnSuccess: true,
      onBeforeRequest: (req) => {
        if (auth.token) req.setHeader('Authorization', `Bearer ${auth.token}`);
      },
      onAfterResponse: (req, res) => {
        // Where the server says a continued upload stopped.
        if (req.getMethod() === 'HEAD' && res.getStatus() === 200) {
          const offset = Number(res.getHeader('Upload-Offset'));
          if (offset > 0) setResumedFrom(Math.floor((offset / chosen.size) * 100));
        }
        if (res.getStatus() < 500) setRetrying(false);
      },
      onShouldRetry: (err, attempt) => {
        const status = err.originalResponse?.getStatus() ?? 0;
        const retry = (status === 0 || status >= 500 || status === 409 || status === 423) && attempt < RETRY_DELAYS.length;
        setRetrying(retry);
        return retry;
      },
      onProgress: (sent, total) => setProgress({ sent, total }),
      onSuccess: () => {
        setRetrying(false);
        setProgress({ sent: chosen.size, total: chosen.size });
        setUploadId(u.url!.split('/').pop()!);
        setPhase('uploaded');
        unfinished.reload();
      },
      onError: (err) => {
        setRetrying(false);
        setUploadError(tusFailure(err));
        setPhase('paused');
      },
    });
    upload.current = u;
    const previous = await u.findPreviousUploads();
    if (previous.length) u.resumeFromPreviousUpload(previous[0]);
    setPhase('uploading');
    u.start();
  };

  const pause = async () => {
    await upload.current?.abort();
    setRetrying(false);
    setPhase('paused');
  };
  const resume = () => {
    setUploadError(null);
    setPhase('uploading');
    upload.current?.start();
  };

  const post = useSubmit(async () => {
    if (!uploadId) return;
    const { video } = await api<{ video: CreatorVideo }>('POST', '/videos', {
      body: { uploadId, title: title.trim(), description: description.trim(), ...(shopId ? { shopId } : {}), skuIds },
    });
    setPosted(video);
    onPosted?.(video);
  });

  const reset = () => {
    upload.current = null;
    setPhase('idle');
    setFile(null);
    setUploadId(null);
    setTitle('');
    setDescription('');
    setSkuIds([]);
    setPosted(null);
    setResumedFrom(null);
  };

  if (posted) return <PostedVideo initial={posted} onSettled={onPosted} onAnother={reset} />;

  const percent = progress.total ? Math.floor((progress.sent / progress.total) * 100) : 0;
  const topics = topicsIn(title, description);
  const toggle = (skuId: string) => setSkuIds((ids) => (ids.includes(skuId) ? ids.filter((id) => id !== skuId) : ids.length < MAX_PRODUCTS ? [...ids, skuId] : ids));

  return (
    <form class="video-upload" onSubmit={post.onSubmit} data-testid="video-upload-form">
      <section class="video-upload-file">
        <label class="video-file-pick">
          <span class="btn">{file ? t('creatorVideos.changeFile') : t('creatorVideos.chooseFile')}</span>
          <input
            class="visually-hidden"
            type="file"
            accept="video/*"
            data-testid="upload-file"
            onChange={(e) => {
              const chosen = e.currentTarget.files?.[0];
              e.currentTarget.value = '';
              if (chosen) void begin(chosen);
            }}
          />
        </label>
        {!file && <p class="muted video-hint">{t('creatorVideos.fileHint')}</p>}
        {!file &&
          (unfinished.data ?? []).map((name) => (
            <p key={name} class="banner banner-warn" data-testid="upload-unfinished">
              {t('creatorVideos.unfinished', { name })}
            </p>
          ))}
        {file && (
          <div class="video-upload-progress">
            <div class="video-file-name">
              <strong>{file.name}</strong>
              <span class="muted">{phase === 'uploaded' ? t('creatorVideos.uploaded') : phase === 'paused' ? t('creatorVideos.paused') : t('creatorVideos.uploading')}</span>
            </div>
            <div class="progress" role="progressbar" aria-label={t('creatorVideos.uploading')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} data-testid="upload-progress">
              <span class="progress-bar" style={{ width: `${percent}%` }} />
            </div>
            <div class="video-progress-line">
              <span class="muted" data-testid="upload-bytes">
                {t('creatorVideos.progress', { sent: megabytes(progress.sent), total: megabytes(progress.total), percent })}
              </span>
              {phase === 'uploading' && (
                <button type="button" class="btn btn-small" onClick={pause}>
                  {t('creatorVideos.pause')}
                </button>
              )}
              {phase === 'paused' && (
                <button type="button" class="btn btn-small btn-primary" onClick={resume}>
                  {t('creatorVideos.resume')}
                </button>
              )}
            </div>
            {resumedFrom !== null && (
              <p class="muted video-hint" data-testid="upload-resumed">
                {t('creatorVideos.resumedFrom', { percent: resumedFrom })}
              </p>
            )}
            {retrying && (
              <p class="banner banner-warn" role="status">
                {t('creatorVideos.retrying')}
              </p>
            )}
            {uploadError !== null && (
              <p class="form-error" role="alert" data-testid="upload-error">
                {refusal(uploadError)}
              </p>
            )}
          </div>
        )}
      </section>

      <label>
        {t('creatorVideos.videoTitle')}
        <input name="title" required maxLength={MAX_TITLE} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
      <label>
        {t('creatorVideos.description')}
        <textarea name="description" maxLength={MAX_DESCRIPTION} value={description} onInput={(e) => setDescription(e.currentTarget.value)} placeholder={t('creatorVideos.descriptionHint')} />
      </label>
      {topics.length > 0 && (
        <p class="video-topics" aria-label={t('creatorVideos.topics')} data-testid="upload-topics">
          {topics.map((topic) => (
            <span key={topic} class="chip chip-on">
              #{topic}
            </span>
          ))}
        </p>
      )}

      <fieldset class="video-products">
        <legend>
          {t('creatorVideos.products', { n: MAX_PRODUCTS })} · {shopId ? t('creatorVideos.productsShopHint') : t('creatorVideos.productsShowcaseHint')}
        </legend>
        {skus.error ? (
          <p class="form-error">{refusal(skus.error)}</p>
        ) : !skus.data ? (
          <p class="muted">{t('common.loading')}</p>
        ) : skus.data.length === 0 ? (
          <p class="muted">
            {t('creatorVideos.productsNone')}
            {!shopId && (
              <>
                {' '}
                <Link href="/marketplace">{t('marketplace.title')}</Link>
              </>
            )}
          </p>
        ) : (
          skus.data.map((sku) => {
            const checked = skuIds.includes(sku.skuId);
            return (
              <label key={sku.skuId} class={checked ? 'video-product checked' : 'video-product'} data-testid="video-product">
                <input type="checkbox" checked={checked} disabled={!checked && skuIds.length >= MAX_PRODUCTS} onChange={() => toggle(sku.skuId)} />
                <span class="video-product-name">
                  {sku.title} · {sku.skuName}
                </span>
                <span class="video-product-price">{formatMoney(sku.price)}</span>
              </label>
            );
          })
        )}
      </fieldset>

      {post.error !== null && (
        <p class="form-error" role="alert">
          {refusal(post.error)}
        </p>
      )}
      {phase !== 'uploaded' && file && <p class="muted video-hint">{t('creatorVideos.waitUpload')}</p>}
      <button class="btn btn-primary btn-block" type="submit" disabled={!uploadId || !title.trim() || post.busy} data-testid="video-post">
        {post.busy ? t('creatorVideos.posting') : t('creatorVideos.post')}
      </button>
    </form>
  );
}

/** After posting: the video's state, asked again until processing is over. */
function PostedVideo({ initial, onSettled, onAnother }: { initial: CreatorVideo; onSettled?: (video: CreatorVideo) => void; onAnother: () => void }) {
  const [video, setVideo] = useState(initial);
  useEffect(() => {
    if (video.status !== 'processing') onSettled?.(video);
  }, [video.status]);
  useInterval(
    () => {
      get<{ video: CreatorVideo }>(`/videos/${video.id}`).then(
        (r) => setVideo(r.video),
        () => {
          // asked again at the next tick
        },
      );
    },
    STATUS_POLL_MS,
    video.status === 'processing',
  );
  return (
    <section class="video-posted" data-testid="video-posted" data-video-id={video.id}>
      <div class="video-posted-head">
        {video.playback?.cover && <img class="video-cover" src={video.playback.cover} alt="" />}
        <div>
          <strong>{video.title}</strong>
          <VideoStatusBadge video={video} withReason />
          {video.status === 'processing' && <p class="muted video-hint">{t('creatorVideos.processingHint')}</p>}
          {video.products.length > 0 && (
            <p class="muted video-hint">
              {video.products.map((p) => p.title).join('、')}
            </p>
          )}
        </div>
      </div>
      <button type="button" class="btn btn-block" onClick={onAnother}>
        {t('creatorVideos.another')}
      </button>
    </section>
  );
}

/** Files of the user's whose upload stopped before the end (kept by tus-js-client in localStorage). */
async function unfinishedUploads(userId: string): Promise<string[]> {
  if (!userId || !tus.canStoreURLs) return [];
  const all = await tus.defaultOptions.urlStorage.findAllUploads();
  return [...new Set(all.filter((u) => u.urlStorageKey.includes(`${FINGERPRINT_PREFIX}/${userId}/`)).map((u) => u.metadata?.filename).filter((n): n is string => !!n))];
}
