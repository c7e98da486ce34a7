// The short-video feed (/videos, and /v/:id starting at one video): full screen, one vertical video at a time,
// swiped up and down (touch, the arrow keys, the mouse wheel). The video on screen plays; its neighbours are
// attached and hold the start of their streams, so a swipe starts at once. Over each video: its creator and a
// follow button, title and #topics, like, comments, share, and the products under it (挂车), bought in the
// bottom sheet without leaving the video.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, get, post, query, useAuth } from '../shared/api.ts';
import { formatMoney, formatNumber } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import { Link, navigate } from '../shared/router.tsx';
import type { Sku } from '../shared/types.ts';
import { Empty, errorText, Failure, Sheet, Spinner, useSubmit } from '../shared/ui.tsx';
import { BuySheet, type BuyTarget } from './BuySheet.tsx';
import { useFollow } from './Follow.tsx';
import { ShareButton } from './ShareButton.tsx';
import { shareTokenFor } from './sharing.ts';
import { onPageHide, VideoSession, type EventSource } from './video-events.ts';
import { allowSound, isSoundAllowed, prefetchEngine, preloadEnabled, ShortVideoPlayer, type VideoState } from './video-player.ts';
import { loadVideo, loadVideoPage, playable, type Video, type VideoProduct, type VideoSocial } from './video-source.ts';
import './videos.css';

prefetchEngine();

const SOURCES: EventSource[] = ['feed', 'follow', 'share', 'search', 'profile'];
/** A swipe this far (a share of the screen's height) moves to the next video. */
const SWIPE_SHARE = 0.18;
/** A click this soon after a finger's swipe ended is the swipe's, not a tap. */
const SWIPE_CLICK_MS = 400;
/** The mouse wheel moves one video per gesture: further wheel events within this long are the same gesture. */
const WHEEL_PAUSE_MS = 450;

/** The first touch, click or key press of the page lets the videos play with sound. */
function useSoundOnFirstGesture() {
  useEffect(() => {
    if (isSoundAllowed()) return;
    const events = ['pointerup', 'touchend', 'mousedown', 'keydown'] as const;
    const allow = () => {
      allowSound();
      for (const e of events) removeEventListener(e, allow, true);
    };
    for (const e of events) addEventListener(e, allow, true);
    return () => {
      for (const e of events) removeEventListener(e, allow, true);
    };
  }, []);
}

/** Sign in first, then come back to this video. */
const signInFor = (videoId: string) => navigate(`/signin${query({ next: `/v/${videoId}` })}`);

export function Videos({ startId }: { startId?: string }) {
  useAuth();
  useSoundOnFirstGesture();
  const [videos, setVideos] = useState<Video[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [index, setIndex] = useState(0);
  const [drag, setDrag] = useState(0);
  const [buying, setBuying] = useState<BuyTarget | null>(null);
  const [commentsOf, setCommentsOf] = useState<Video | null>(null);
  const [commentCounts, setCommentCounts] = useState<Record<string, number>>({});
  const feed = useRef<HTMLDivElement>(null);

  // Where the first video was opened from: a /v/:id link says (?from=), or it came through a share link.
  const [startSource] = useState<EventSource>(() => {
    const from = new URLSearchParams(location.search).get('from') as EventSource | null;
    if (from && SOURCES.includes(from)) return from;
    return startId && shareTokenFor({ type: 'video', id: startId }) ? 'share' : 'feed';
  });
  // Opened from a card embedded in another site (/embed/videos/:id): an order from the first video is the card's.
  const [fromEmbed] = useState(() => new URLSearchParams(location.search).get('from') === 'embed');

  useEffect(() => {
    const abort = new AbortController();
    setError(null);
    (async () => {
      const first = startId ? await loadVideo(startId, abort.signal) : null;
      const page = await loadVideoPage(null, abort.signal);
      const rest = page.videos.filter((v) => v.id !== startId && playable(v));
      setVideos(first ? [first, ...rest] : rest);
      setCursor(page.nextCursor);
    })().catch((err) => !abort.signal.aborted && setError(err));
    return () => abort.abort();
  }, [startId, round]);

  const count = videos?.length ?? 0;
  const sheetOpen = buying !== null || commentsOf !== null;

  const go = useCallback(
    (delta: number) => {
      setIndex((i) => Math.max(0, Math.min(count - 1, i + delta)));
      setDrag(0);
    },
    [count],
  );

  // More videos before the viewer reaches the end of what is loaded.
  useEffect(() => {
    if (!videos || !cursor || loadingMore || index < videos.length - 3) return;
    setLoadingMore(true);
    loadVideoPage(cursor)
      .then((page) => {
        setVideos((list) => {
          const have = new Set(list?.map((v) => v.id));
          return [...(list ?? []), ...page.videos.filter((v) => !have.has(v.id) && playable(v))];
        });
        setCursor(page.nextCursor);
      })
      .catch(() => {
        // the next try comes with the next swipe
      })
      .finally(() => setLoadingMore(false));
  }, [index, videos, cursor, loadingMore]);

  useEffect(() => {
    if (sheetOpen) return;
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      if (e.key === 'ArrowDown' || e.key === 'PageDown') go(1);
      else if (e.key === 'ArrowUp' || e.key === 'PageUp') go(-1);
      else return;
      e.preventDefault();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [go, sheetOpen]);

  // The wheel and touch handlers are attached by hand: Preact's would be passive, and the page must not scroll.
  const gesture = useRef({ wheelAt: 0, startY: 0, startAt: 0, dy: 0, touching: false, moved: false, swipedAt: -Infinity });
  useEffect(() => {
    const el = feed.current;
    if (!el) return;
    const g = gesture.current;
    // A sheet opened from a slide (sign in to share) scrolls as it would anywhere.
    const inSheet = (e: Event) => e.target instanceof Element && e.target.closest('.sheet-backdrop') !== null;
    const onWheel = (e: WheelEvent) => {
      if (inSheet(e)) return;
      e.preventDefault();
      if (Math.abs(e.deltaY) < 4) return;
      const now = e.timeStamp;
      const fresh = now - g.wheelAt > WHEEL_PAUSE_MS;
      g.wheelAt = now;
      if (fresh) go(e.deltaY > 0 ? 1 : -1);
    };
    const onStart = (e: TouchEvent) => {
      if (e.touches.length !== 1 || inSheet(e)) return;
      g.touching = true;
      g.moved = false;
      g.startY = e.touches[0].clientY;
      g.startAt = e.timeStamp;
      g.dy = 0;
    };
    const onMove = (e: TouchEvent) => {
      if (!g.touching) return;
      g.dy = e.touches[0].clientY - g.startY;
      if (Math.abs(g.dy) > 8) g.moved = true;
      e.preventDefault();
      setDrag(g.dy);
    };
    const onEnd = (e: TouchEvent) => {
      if (!g.touching) return;
      g.touching = false;
      if (g.moved) g.swipedAt = e.timeStamp;
      const height = el.clientHeight || 1;
      const fast = Math.abs(g.dy) > 30 && e.timeStamp - g.startAt < 250;
      if (g.moved && (Math.abs(g.dy) > height * SWIPE_SHARE || fast)) go(g.dy < 0 ? 1 : -1);
      else setDrag(0);
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    el.addEventListener('touchstart', onStart, { passive: true });
    el.addEventListener('touchmove', onMove, { passive: false });
    el.addEventListener('touchend', onEnd);
    el.addEventListener('touchcancel', onEnd);
    return () => {
      el.removeEventListener('wheel', onWheel);
      el.removeEventListener('touchstart', onStart);
      el.removeEventListener('touchmove', onMove);
      el.removeEventListener('touchend', onEnd);
      el.removeEventListener('touchcancel', onEnd);
    };
  }, [go, videos !== null]);

  if (error) {
    const gone = error instanceof ApiError && error.status === 404;
    return (
      <main class="videos-page videos-message">
        {gone ? (
          <Empty icon="videoOff" title={t('videos.unavailable')} hint={t('videos.unavailableHint')}>
            <Link class="btn" href="/videos">
              {t('videos.more')}
            </Link>
          </Empty>
        ) : (
          <Failure error={error} onRetry={() => setRound((r) => r + 1)} />
        )}
      </main>
    );
  }
  if (!videos) {
    return (
      <main class="videos-page videos-message">
        <Spinner />
      </main>
    );
  }
  if (videos.length === 0) {
    return (
      <main class="videos-page videos-message">
        <Empty icon="film" title={t('videos.empty')} hint={t('videos.emptyHint')} />
      </main>
    );
  }

  const preload = preloadEnabled();
  const buy = (video: Video, product: VideoProduct) => {
    // Every linked option of the product is offered in the sheet, the tapped one chosen.
    const options = video.products.filter((p) => p.productId === product.productId);
    const skus: Sku[] = [product, ...options.filter((p) => p.skuId !== product.skuId)].map((p) => ({
      id: p.skuId,
      productId: p.productId,
      name: p.skuName,
      price: p.price,
      available: p.available,
    }));
    // Where the buyer came from: as the video on screen was reached (the one opened by a link, else the feed).
    setBuying({ title: product.title, skus, videoId: video.id, source: video.id === startId ? (fromEmbed ? 'embed' : startSource) : 'feed' });
  };

  return (
    <main class="videos-page">
      <div class="video-feed" ref={feed} data-testid="video-feed" aria-roledescription={t('videos.feed')}>
        {videos.map((video, i) =>
          Math.abs(i - index) <= 1 ? (
            <Slide
              key={video.id}
              video={video}
              offset={i - index}
              drag={drag}
              active={i === index}
              preload={preload}
              source={i === 0 && startId ? startSource : 'feed'}
              commentCount={commentCounts[video.id]}
              swiped={() => performance.now() - gesture.current.swipedAt < SWIPE_CLICK_MS}
              onComments={() => setCommentsOf(video)}
              onBuy={(product) => buy(video, product)}
            />
          ) : null,
        )}
        {index === count - 1 && !cursor && count > 1 && <p class="video-end">{t('videos.end')}</p>}
      </div>
      {commentsOf && (
        <CommentsSheet
          video={commentsOf}
          onClose={() => setCommentsOf(null)}
          onCount={(n) => setCommentCounts((c) => ({ ...c, [commentsOf.id]: n }))}
          count={commentCounts[commentsOf.id] ?? commentsOf.social?.comments ?? 0}
        />
      )}
      {buying && <BuySheet open target={buying} onClose={() => setBuying(null)} />}
    </main>
  );
}

interface SlideProps {
  video: Video;
  /** Screens below (+) or above (−) the one on screen. */
  offset: number;
  /** The finger's pull, in px. */
  drag: number;
  active: boolean;
  preload: boolean;
  source: EventSource;
  commentCount: number | undefined;
  /** Whether the touch that ends in this click was a swipe (not a tap). */
  swiped(): boolean;
  onComments(): void;
  onBuy(product: VideoProduct): void;
}

function Slide({ video, offset, drag, active, preload, source, commentCount, swiped, onComments, onBuy }: SlideProps) {
  const session = useAuth();
  const element = useRef<HTMLVideoElement>(null);
  const player = useRef<ShortVideoPlayer | null>(null);
  const watch = useRef<VideoSession | null>(null);
  const [state, setState] = useState<VideoState>('loading');
  const [social, setSocial] = useState<VideoSocial>(() => video.social ?? { likes: 0, comments: 0, liked: false, following: false });
  const hls = video.playback?.hls ?? '';

  useEffect(() => {
    const el = element.current;
    if (!el || !hls) return;
    const p = new ShortVideoPlayer(el, hls, setState);
    player.current = p;
    if (preload) void p.load();
    return () => {
      p.destroy();
      player.current = null;
    };
  }, [hls]);

  // On screen: plays and reports; swiped away: pauses (buffer kept) and reports the time watched.
  useEffect(() => {
    if (!active) return;
    const w = new VideoSession(video.id, source);
    watch.current = w;
    player.current?.activate();
    const off = onPageHide(() => w.reportWatch());
    return () => {
      off();
      w.reportWatch();
      watch.current = null;
      player.current?.deactivate();
    };
  }, [active]);

  useEffect(() => {
    const el = element.current;
    if (!el) return;
    const onPlaying = () => watch.current?.playing();
    const onTime = () => watch.current?.time(el.currentTime, el.duration);
    const onSeeked = () => watch.current?.seeked(el.currentTime);
    // The loop is played by hand (not the loop attribute) so that each pass's end and restart are seen.
    const onEnded = () => {
      watch.current?.completed();
      if (!active) return;
      watch.current?.replayed();
      player.current?.seek(0);
    };
    el.addEventListener('playing', onPlaying);
    el.addEventListener('timeupdate', onTime);
    el.addEventListener('seeked', onSeeked);
    el.addEventListener('ended', onEnded);
    return () => {
      el.removeEventListener('playing', onPlaying);
      el.removeEventListener('timeupdate', onTime);
      el.removeEventListener('seeked', onSeeked);
      el.removeEventListener('ended', onEnded);
    };
  }, [active]);

  const tap = () => {
    if (swiped()) return;
    player.current?.toggle();
  };

  const like = async () => {
    if (!session.token) return signInFor(video.id);
    const before = social;
    const liked = !before.liked;
    setSocial({ ...before, liked, likes: Math.max(0, before.likes + (liked ? 1 : -1)) });
    try {
      const r = await api<{ liked: boolean; likes: number }>(liked ? 'POST' : 'DELETE', `/videos/${video.id}/like`);
      setSocial((s) => ({ ...s, liked: r.liked, likes: r.likes }));
    } catch {
      setSocial((s) => ({ ...s, liked: before.liked, likes: before.likes }));
    }
  };

  // One follow state per creator for the page: following here shows on the creator's other videos too.
  const follow = useFollow({ type: 'user', id: video.creator.id }, video.social?.following);
  const isFollowing = follow.following;

  const own = session.user?.id === video.creator.id;
  const name = video.creator.displayName || video.creator.handle;
  const comments = commentCount ?? social.comments;
  // The slide on screen has no transform while still, so that its sheets and toasts (position: fixed) fill the screen.
  const transform = offset === 0 && drag === 0 ? undefined : `translate3d(0, calc(${offset * 100}% + ${drag}px), 0)`;

  return (
    <section
      class="video-slide"
      style={{ transform, transition: drag ? 'none' : undefined }}
      data-testid="video-slide"
      data-video-id={video.id}
      data-active={active ? 'true' : 'false'}
      data-state={state}
      aria-hidden={!active}
    >
      <video
        ref={element}
        class="video-media"
        poster={video.playback?.cover ?? undefined}
        playsInline
        muted
        preload={preload || active ? 'auto' : 'none'}
        onClick={tap}
      />
      {state === 'paused' && active && (
        <button class="video-center" onClick={() => player.current?.toggle()} aria-label={t('videos.play')}>
          <PlayIcon />
        </button>
      )}
      {(state === 'unavailable' || state === 'unsupported' || state === 'failed' || !hls) && (
        <div class="video-center video-notice" role="status" data-testid="video-unavailable">
          <Icon name="videoOff" size={36} />
          <p>{state === 'unsupported' ? t('videos.unsupported') : state === 'failed' ? t('videos.failed') : t('videos.unavailable')}</p>
        </div>
      )}
      {active && state === 'loading' && <span class="video-loading" aria-hidden="true" />}

      <aside class="video-rail">
        <div class="video-author">
          <Link class="video-avatar" href={`/u/${video.creator.id}`} aria-label={`@${video.creator.handle}`}>
            {name.slice(0, 1).toUpperCase()}
          </Link>
          {!own && (
            <button
              class={isFollowing ? 'video-follow on' : 'video-follow'}
              onClick={() => void follow.toggle()}
              disabled={follow.busy}
              aria-pressed={isFollowing}
              aria-label={isFollowing ? t('videos.following') : t('videos.follow')}
              data-testid="video-follow"
            >
              {isFollowing ? <Icon name="check" size={14} /> : '+'}
            </button>
          )}
        </div>
        <button class={social.liked ? 'video-action liked' : 'video-action'} onClick={like} aria-pressed={social.liked} aria-label={t('videos.like')} data-testid="video-like">
          <Icon name="heart" size={30} />
          <span data-testid="video-likes">{formatNumber(social.likes)}</span>
        </button>
        <button class="video-action" onClick={() => (session.token ? onComments() : signInFor(video.id))} aria-label={t('videos.comments')} data-testid="video-comments">
          <CommentIcon />
          <span>{formatNumber(comments)}</span>
        </button>
        <div class="video-action">
          <ShareButton target={{ type: 'video', id: video.id }} title={video.title} class="video-share" label={false} />
          <span>{t('share.share')}</span>
        </div>
      </aside>

      <div class="video-info">
        <Link class="video-handle" href={`/u/${video.creator.id}`}>
          @{video.creator.handle}
        </Link>
        <p class="video-title">{video.title}</p>
        {video.topics.length > 0 && (
          <p class="video-topics">
            {video.topics.map((topic) => (
              <span key={topic}>#{topic} </span>
            ))}
          </p>
        )}
        {video.products.length > 0 && (
          <ProductCards video={video} active={active} watch={watch} onBuy={onBuy} onSeek={(s) => player.current?.seek(s)} />
        )}
      </div>
    </section>
  );
}

/** One card per product under the video (its cheapest linked option's price); a replay's with the time it was shown. */
function ProductCards({
  video,
  active,
  watch,
  onBuy,
  onSeek,
}: {
  video: Video;
  active: boolean;
  watch: { current: VideoSession | null };
  onBuy(product: VideoProduct): void;
  onSeek(seconds: number): void;
}) {
  const cards: VideoProduct[] = [];
  for (const p of video.products) {
    const same = cards.findIndex((c) => c.productId === p.productId);
    if (same === -1) cards.push(p);
    else if (p.available > 0 && (cards[same].available === 0 || p.price < cards[same].price)) cards[same] = p;
  }
  useEffect(() => {
    if (active) for (const c of cards) watch.current?.cardShown(c.skuId);
  }, [active]);

  return (
    <div class="video-products">
      {cards.map((p) => (
        <div class="video-product" key={p.skuId} data-testid="video-product" data-sku-id={p.skuId}>
          <button
            class="video-product-main"
            onClick={() => {
              watch.current?.cardClicked(p.skuId);
              onBuy(p);
            }}
          >
            <Icon name="cart" size={20} />
            <span class="video-product-text">
              <span class="video-product-title">{p.title}</span>
              <span class="video-product-price">
                {formatMoney(p.price)}
                {p.available === 0 && <small> · {t('product.soldOut')}</small>}
              </span>
            </span>
            <span class="video-product-buy">{t('videos.buy')}</span>
          </button>
          <span class="video-product-links">
            {p.pinSeconds !== null && (
              <button class="video-pin" onClick={() => onSeek(p.pinSeconds!)} data-testid="video-pin">
                {t('videos.pinnedAt', { time: clock(p.pinSeconds) })}
              </button>
            )}
            <Link class="video-product-details" href={`/p/${p.productId}`}>
              {t('videos.details')}
            </Link>
          </span>
        </div>
      ))}
    </div>
  );
}

/** 83.4 → "1:23" */
function clock(seconds: number): string {
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

interface Comment {
  id: string;
  author: { id: string; handle: string; displayName: string | null };
  text: string;
  createdAt: string;
}

function CommentsSheet({ video, count, onClose, onCount }: { video: Video; count: number; onClose(): void; onCount(n: number): void }) {
  const [comments, setComments] = useState<Comment[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [text, setText] = useState('');
  const [round, setRound] = useState(0);

  const load = async (from: string | null) => {
    const page = await get<{ comments: Comment[]; nextCursor: string | null }>(`/videos/${video.id}/comments${query({ cursor: from, limit: 20 })}`);
    setComments((list) => (from ? [...(list ?? []), ...page.comments] : page.comments));
    setCursor(page.nextCursor);
  };
  useEffect(() => {
    setLoadError(null);
    load(null).catch(setLoadError);
  }, [video.id, round]);

  const send = useSubmit(async () => {
    const body = text.trim();
    if (!body) return;
    const r = await post<{ comment: Comment }>(`/videos/${video.id}/comments`, { text: body });
    setComments((list) => [r.comment, ...(list ?? [])]);
    setText('');
    onCount(count + 1);
  });

  return (
    <Sheet open onClose={onClose} title={t('videos.commentsTitle', { n: count })} testId="video-comments-sheet">
      {loadError ? (
        <Failure error={loadError} onRetry={() => setRound((r) => r + 1)} />
      ) : !comments ? (
        <Spinner />
      ) : comments.length === 0 ? (
        <p class="muted video-no-comments">{t('videos.noComments')}</p>
      ) : (
        <ul class="video-comment-list">
          {comments.map((c) => (
            <li key={c.id} data-testid="video-comment">
              <strong>{c.author.displayName || c.author.handle}</strong>
              <p>{c.text}</p>
            </li>
          ))}
          {cursor && (
            <li>
              <button class="btn btn-small" onClick={() => void load(cursor).catch(setLoadError)}>
                {t('common.more')}
              </button>
            </li>
          )}
        </ul>
      )}
      <form class="video-comment-form" onSubmit={send.onSubmit}>
        <input
          name="comment"
          maxLength={500}
          required
          placeholder={t('videos.commentPlaceholder')}
          aria-label={t('videos.commentPlaceholder')}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button class="btn btn-primary" type="submit" disabled={send.busy || !text.trim()} data-testid="video-comment-send">
          {t('common.send')}
        </button>
      </form>
      {send.error !== null && (
        <p class="form-error" role="alert">
          {errorText(send.error)}
        </p>
      )}
    </Sheet>
  );
}

/** Feather's message-circle (MIT). */
function CommentIcon() {
  return (
    <svg class="icon" width={30} height={30} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      <path d="M21 11.5a8.38 8.38 0 0 1-.9 3.8 8.5 8.5 0 0 1-7.6 4.7 8.38 8.38 0 0 1-3.8-.9L3 21l1.9-5.7a8.38 8.38 0 0 1-.9-3.8 8.5 8.5 0 0 1 4.7-7.6 8.38 8.38 0 0 1 3.8-.9h.5a8.48 8.48 0 0 1 8 8v.5z" />
    </svg>
  );
}

/** A play triangle. */
function PlayIcon() {
  return (
    <svg width={64} height={64} viewBox="0 0 24 24" fill="currentColor" aria-hidden="true">
      <polygon points="6 3 20 12 6 21 6 3" />
    </svg>
  );
}
