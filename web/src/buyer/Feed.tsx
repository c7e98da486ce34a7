// The buyer app's home: the discovery feed (GET /feed). Three tabs — 推荐 (the blended feed: friends first, then
// what the ranking picks), 关注 (who the viewer follows), 朋友 (what friends liked, watched, shared or bought) —
// of live rooms, short videos and product cards, each saying why it is there (3 位朋友赞过, 关注, 新人 …) and
// labelled 推广 when paid for. Pages follow the cursor as the reader scrolls; "not interested" takes a card (or
// everything of its creator) away for good. Back from a card, the feed is as the reader left it (for a few minutes).
import { useEffect, useRef, useState } from 'preact/hooks';
import { auth, get, post, query, useAuth } from '../shared/api.ts';
import { formatMoney, formatNumber, formatTime } from '../shared/format.ts';
import { language, t } from '../shared/i18n.ts';
import { deviceId } from '../shared/device.ts';
import { Icon } from '../shared/icons.tsx';
import { Link } from '../shared/router.tsx';
import type { FeedItem, FeedReason, FeedTab } from '../shared/types.ts';
import { Empty, errorText, Failure, Sheet, Spinner, useLoadMoreOnView, useSubmit } from '../shared/ui.tsx';
import { feedSource, withSource } from './analytics-events.ts';
import { signInHere } from './Follow.tsx';
import './feed.css';

interface FeedPage {
  items: FeedItem[];
  nextCursor: string | null;
}

const TABS: readonly FeedTab[] = ['all', 'follow', 'friends'];
const PAGE_SIZE = 10;
const TAB_KEY = 'tab';

const itemKey = (item: FeedItem) => `${item.type}:${item.id}`;

/** Whose the item is, for "not interested in this creator": a room's and a product's shop, a video's shop or creator. */
function creatorOf(item: FeedItem): string {
  if (item.type === 'live') return `shop:${item.shopId}`;
  if (item.type === 'product') return `shop:${item.shopId}`;
  return item.shopId ? `shop:${item.shopId}` : `user:${item.creator.id}`;
}

function initialTab(): FeedTab {
  const tab = new URLSearchParams(location.search).get(TAB_KEY) as FeedTab | null;
  return tab && TABS.includes(tab) ? tab : 'all';
}

/** The feed as the reader left it to open a card: coming back shows it again where they were, for a while. */
interface Kept {
  tab: FeedTab;
  token: string | null;
  items: FeedItem[];
  cursor: string | null;
  scrollY: number;
  at: number;
}
let kept: Kept | null = null;
const KEEP_MS = 3 * 60_000;

function keptFor(tab: FeedTab): Kept | null {
  return kept && kept.tab === tab && kept.token === auth.token && Date.now() - kept.at < KEEP_MS ? kept : null;
}

export function Feed() {
  const session = useAuth();
  const [tab, setTab] = useState<FeedTab>(initialTab);
  const [restored] = useState(() => keptFor(tab));
  const [items, setItems] = useState<FeedItem[]>(restored?.items ?? []);
  const [cursor, setCursor] = useState<string | null>(restored?.cursor ?? null);
  const [state, setState] = useState<'loading' | 'ready' | 'failed'>(restored ? 'ready' : 'loading');
  const [error, setError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  const [round, setRound] = useState(0);
  const [menuFor, setMenuFor] = useState<FeedItem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  /** The load in flight: a tab switch or a reload makes an older one's answer moot. */
  const generation = useRef(0);

  // Kept when the page goes (a card opened), put back where it was when it comes back.
  const latest = useRef({ tab, items, cursor });
  latest.current = { tab, items, cursor };
  const skipFirstLoad = useRef(restored !== null);
  useEffect(() => {
    if (restored) window.scrollTo(0, restored.scrollY);
    return () => {
      const { tab, items, cursor } = latest.current;
      kept = items.length > 0 ? { tab, token: auth.token, items, cursor, scrollY: window.scrollY, at: Date.now() } : null;
    };
  }, []);

  // The first page of the tab (again on a tab switch, a sign-in or out, and a retry).
  useEffect(() => {
    if (skipFirstLoad.current) {
      skipFirstLoad.current = false;
      return;
    }
    const abort = new AbortController();
    const gen = ++generation.current;
    setState('loading');
    setError(null);
    setMoreError(null);
    setItems([]);
    setCursor(null);
    get<FeedPage>(`/feed${query({ tab, limit: PAGE_SIZE, deviceId: auth.token ? undefined : deviceId() })}`, abort.signal).then(
      (page) => {
        if (gen !== generation.current) return;
        setItems(dedupe([], page.items));
        setCursor(page.nextCursor);
        setState('ready');
      },
      (err) => {
        if (abort.signal.aborted || gen !== generation.current) return;
        setError(err);
        setState('failed');
      },
    );
    return () => abort.abort();
  }, [tab, session.token, round]);

  const loadMore = async () => {
    if (!cursor || loadingMore) return;
    const gen = generation.current;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await get<FeedPage>(`/feed${query({ tab, limit: PAGE_SIZE, cursor, deviceId: auth.token ? undefined : deviceId() })}`);
      if (gen !== generation.current) return;
      setItems((list) => dedupe(list, page.items));
      setCursor(page.nextCursor);
    } catch (err) {
      if (gen === generation.current) setMoreError(err);
    } finally {
      setLoadingMore(false);
    }
  };

  // The next page loads as the end of the list comes into view (the button below does the same by hand).
  useLoadMoreOnView(sentinel, loadMore, !!cursor && moreError === null, [cursor, state, items.length]);

  const choose = (next: FeedTab) => {
    if (next === tab) return;
    const url = new URL(location.href);
    if (next === 'all') url.searchParams.delete(TAB_KEY);
    else url.searchParams.set(TAB_KEY, next);
    history.replaceState(history.state, '', url.pathname + url.search);
    setTab(next);
  };

  const hidden = (item: FeedItem, creator: boolean) => {
    const creatorKey = creatorOf(item);
    setItems((list) => list.filter((i) => itemKey(i) !== itemKey(item) && !(creator && creatorOf(i) === creatorKey)));
    setMenuFor(null);
    setNotice(creator ? t('feed.hiddenCreator') : t('feed.hidden'));
    setTimeout(() => setNotice(null), 2500);
  };

  return (
    <main class="page feed" data-testid="feed" data-tab={tab}>
      <h1 class="visually-hidden">{t('feed.title')}</h1>
      <div class="tabs feed-tabs" role="tablist" aria-label={t('feed.title')}>
        {TABS.map((name) => (
          <button key={name} type="button" role="tab" aria-selected={tab === name} class={tab === name ? 'tab active' : 'tab'} data-tab={name} onClick={() => choose(name)}>
            {t(`feed.tabs.${name}`)}
          </button>
        ))}
      </div>
      {notice && (
        <div class="toast" role="status">
          {notice}
        </div>
      )}
      {state === 'loading' ? (
        <Spinner />
      ) : state === 'failed' ? (
        <Failure error={error} onRetry={() => setRound((r) => r + 1)} />
      ) : items.length === 0 && !cursor ? (
        <EmptyTab tab={tab} signedIn={!!session.token} />
      ) : (
        <>
          <ul class="feed-grid">
            {items.map((item) => (
              <li key={itemKey(item)} class="feed-cell">
                <FeedCard item={item} tab={tab} onMenu={() => (auth.token ? setMenuFor(item) : signInHere())} />
              </li>
            ))}
          </ul>
          <div ref={sentinel} class="feed-sentinel" />
          {moreError !== null && <p class="form-error">{errorText(moreError)}</p>}
          {cursor ? (
            <button class="btn btn-block" disabled={loadingMore} onClick={() => void loadMore()} data-testid="feed-more">
              {loadingMore ? t('common.loading') : t('common.more')}
            </button>
          ) : (
            <p class="muted feed-end">{t('feed.end')}</p>
          )}
        </>
      )}
      {menuFor && <NotInterested item={menuFor} onClose={() => setMenuFor(null)} onDone={hidden} />}
    </main>
  );
}

function dedupe(list: FeedItem[], more: FeedItem[]): FeedItem[] {
  const have = new Set(list.map(itemKey));
  const out = [...list];
  for (const item of more) {
    const key = itemKey(item);
    if (have.has(key)) continue;
    have.add(key);
    out.push(item);
  }
  return out;
}

function EmptyTab({ tab, signedIn }: { tab: FeedTab; signedIn: boolean }) {
  if (tab !== 'all' && !signedIn) {
    return (
      <Empty icon="user" title={t(`feed.empty.${tab}`)} hint={t('feed.empty.signIn')}>
        <button class="btn btn-primary" onClick={signInHere}>
          {t('auth.signIn')}
        </button>
      </Empty>
    );
  }
  return <Empty icon={tab === 'all' ? 'tv' : 'user'} title={t(`feed.empty.${tab}`)} hint={t(`feed.empty.${tab}Hint`)} />;
}

/** A colour from an id, for what has no picture (live rooms have no cover yet). */
function hueOf(id: string): number {
  let hash = 0;
  for (const c of id) hash = (hash * 31 + c.charCodeAt(0)) | 0;
  return Math.abs(hash) % 360;
}
const gradient = (id: string) => {
  const hue = hueOf(id);
  return { background: `linear-gradient(160deg, hsl(${hue} 70% 45%), hsl(${(hue + 60) % 360} 70% 25%))` };
};

/** 83.4 → "1:23" */
function clock(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function FeedCard({ item, tab, onMenu }: { item: FeedItem; tab: FeedTab; onMenu(): void }) {
  const common = { 'data-testid': 'feed-card', 'data-type': item.type, 'data-id': item.id, 'data-promoted': item.promoted ? 'true' : 'false' };
  let card;
  if (item.type === 'live') {
    card = (
      <Link class="feed-card" href={withSource(`/room/${item.id}`, feedSource(item, tab))} {...common} data-status={item.status}>
        <div class="feed-cover" style={gradient(item.id)}>
          {item.status === 'live' ? <span class="badge badge-live">● {t('feed.live')}</span> : <span class="badge badge-muted">{item.status === 'scheduled' ? t('feed.upcoming') : t('feed.ended')}</span>}
          {item.status === 'live' && (
            <span class="feed-viewers">
              <Icon name="eye" size={14} /> {formatNumber(item.viewers)}
            </span>
          )}
        </div>
        <div class="feed-text">
          <p class="feed-title">{item.title}</p>
          <p class="feed-shop">{item.shop.name}</p>
          {item.status === 'scheduled' && item.scheduledAt && <p class="feed-when">{formatTime(item.scheduledAt)}</p>}
          <CardFoot item={item} />
        </div>
      </Link>
    );
  } else if (item.type === 'video') {
    const cover = item.playback?.cover;
    card = (
      <Link class="feed-card" href={`/v/${item.id}${query({ from: tab === 'follow' || item.reason?.kind === 'follow' ? 'follow' : 'feed' })}`} {...common} data-status={item.status}>
        <div class="feed-cover feed-cover-video" style={cover ? undefined : gradient(item.id)}>
          {cover && <img class="feed-cover-img" src={cover} alt="" loading="lazy" />}
          <span class="feed-kind" aria-label={t('feed.video')}>
            <Icon name="film" size={14} />
          </span>
          {item.durationSeconds !== null && (
            <span class="feed-duration" data-testid="feed-duration">
              {clock(item.durationSeconds)}
            </span>
          )}
        </div>
        <div class="feed-text">
          <p class="feed-title">{item.title}</p>
          <p class="feed-shop">@{item.creator.displayName || item.creator.handle}</p>
          <CardFoot item={item} />
        </div>
      </Link>
    );
  } else {
    card = (
      <Link class="feed-card" href={withSource(`/p/${item.id}`, feedSource(item, tab))} {...common}>
        <div class="feed-cover feed-cover-product">
          {item.imageUrl ? (
            <img class="feed-cover-img" src={item.imageUrl} alt="" loading="lazy" />
          ) : (
            <span class="feed-product-none">
              <Icon name="bag" size={44} />
            </span>
          )}
        </div>
        <div class="feed-text">
          <p class="feed-title">{item.title}</p>
          <p class="feed-price" data-testid="feed-price">
            {formatMoney(item.price, item.currency || 'CNY')}
          </p>
          <p class="feed-shop">{item.shop.name}</p>
          <CardFoot item={item} />
        </div>
      </Link>
    );
  }
  return (
    <>
      {card}
      <button type="button" class="feed-menu" aria-label={t('feed.notInterested')} aria-haspopup="dialog" data-testid="feed-menu" onClick={onMenu}>
        <svg width={18} height={18} viewBox="0 0 24 24" fill="currentColor" aria-hidden="true">
          <circle cx="5" cy="12" r="2" />
          <circle cx="12" cy="12" r="2" />
          <circle cx="19" cy="12" r="2" />
        </svg>
      </button>
    </>
  );
}

/** The reason chip and the 推广 label. */
function CardFoot({ item }: { item: FeedItem }) {
  const reason = item.reason;
  const text = reason ? reasonText(reason) : null;
  const names = reason?.kind === 'friends' && reason.names?.length ? reason.names.join(language() === 'zh-CN' ? '、' : ', ') : null;
  if (!text && !item.promoted) return null;
  return (
    <div class="feed-foot">
      {item.promoted && (
        <span class="feed-promoted" data-testid="feed-promoted">
          {t('feed.promoted')}
        </span>
      )}
      {text && (!item.promoted || reason?.kind !== 'promoted') && (
        <span class={`feed-reason feed-reason-${reason!.kind}`} data-testid="feed-reason" data-kind={reason!.kind}>
          {reason!.kind === 'friends' && <Icon name="heart" size={12} filled />}
          {text}
        </span>
      )}
      {names && (
        <span class="feed-names" data-testid="feed-reason-names">
          {names}
        </span>
      )}
    </div>
  );
}

/** Why the item is shown, in the reader's words: "3 位朋友赞过", "关注", "新人" … */
export function reasonText(reason: FeedReason): string | null {
  switch (reason.kind) {
    case 'friends': {
      const count = reason.count ?? reason.names?.length ?? 0;
      const verb = t(`feed.verbs.${reason.action ?? 'like'}`);
      return count === 1 ? t('feed.reasons.friend', { verb }) : t('feed.reasons.friends', { count, verb });
    }
    case 'follow':
    case 'live':
    case 'similar':
    case 'trending':
    case 'new_creator':
    case 'promoted':
    case 'popular':
      return t(`feed.reasons.${reason.kind}`);
    default:
      return null;
  }
}

/** 不感兴趣: this item, or everything of its creator (shop). */
function NotInterested({ item, onClose, onDone }: { item: FeedItem; onClose(): void; onDone(item: FeedItem, creator: boolean): void }) {
  const hide = useSubmit(async (creator: boolean) => {
    await post('/feed/hidden', { type: item.type, id: item.id, ...(creator ? { creator: true } : {}) });
    onDone(item, creator);
  });
  const who = item.type === 'video' && !item.shopId ? t('feed.hideUser') : t('feed.hideShop');
  return (
    <Sheet open onClose={onClose} title={t('feed.notInterested')} testId="feed-menu-sheet">
      <p class="muted feed-menu-title">{item.title}</p>
      <div class="menu">
        <button class="btn btn-block" disabled={hide.busy} onClick={() => void hide.run(false)} data-testid="hide-item">
          {t('feed.hideItem')}
        </button>
        <button class="btn btn-block" disabled={hide.busy} onClick={() => void hide.run(true)} data-testid="hide-creator">
          {who}
        </button>
      </div>
      {hide.error !== null && (
        <p class="form-error" role="alert">
          {errorText(hide.error)}
        </p>
      )}
    </Sheet>
  );
}
