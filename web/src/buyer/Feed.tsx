// The discovery feed: live rooms first, then the ones coming up.
import { useState } from 'preact/hooks';
import { get, query } from '../shared/api.ts';
import { formatNumber, formatTime } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import { Link } from '../shared/router.tsx';
import type { FeedItem } from '../shared/types.ts';
import { Empty, errorText, Loaded, useResource } from '../shared/ui.tsx';

interface FeedPage {
  items: FeedItem[];
  nextCursor: string | null;
}

export function Feed() {
  const first = useResource((signal) => get<FeedPage>('/feed', signal), []);
  const [more, setMore] = useState<FeedItem[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);

  const next = cursor === undefined ? first.data?.nextCursor : cursor;
  const loadMore = async () => {
    if (!next) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await get<FeedPage>(`/feed${query({ cursor: next })}`);
      setMore((items) => [...items, ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setMoreError(err);
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <main class="page feed">
      <h1 class="page-title">{t('feed.title')}</h1>
      <Loaded resource={first}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty icon="tv" title={t('feed.empty')} hint={t('feed.emptyHint')} />
          ) : (
            <>
              <ul class="feed-grid">
                {[...page.items, ...more].map((item) => (
                  <li key={item.id}>
                    <FeedCard item={item} />
                  </li>
                ))}
              </ul>
              {moreError !== null && <p class="form-error">{errorText(moreError)}</p>}
              {next && (
                <button class="btn btn-block" disabled={loadingMore} onClick={loadMore}>
                  {loadingMore ? t('common.loading') : t('common.more')}
                </button>
              )}
            </>
          )
        }
      </Loaded>
    </main>
  );
}

/** A room as a card; its colour comes from its id, since sessions have no cover image yet. */
function FeedCard({ item }: { item: FeedItem }) {
  let hash = 0;
  for (const c of item.id) hash = (hash * 31 + c.charCodeAt(0)) | 0;
  const hue = Math.abs(hash) % 360;
  return (
    <Link class="feed-card" href={`/room/${item.id}`} data-testid="feed-card" data-status={item.status}>
      <div class="feed-cover" style={{ background: `linear-gradient(160deg, hsl(${hue} 70% 45%), hsl(${(hue + 60) % 360} 70% 25%))` }}>
        {item.status === 'live' ? (
          <span class="badge badge-live">● {t('feed.live')}</span>
        ) : (
          <span class="badge badge-muted">{item.status === 'scheduled' ? t('feed.upcoming') : t('feed.ended')}</span>
        )}
        {item.status === 'live' && <span class="feed-viewers"><Icon name="eye" size={14} /> {formatNumber(item.viewers)}</span>}
      </div>
      <div class="feed-text">
        <p class="feed-title">{item.title}</p>
        <p class="feed-shop">{item.shop.name}</p>
        {item.status === 'scheduled' && item.scheduledAt && <p class="feed-when">{formatTime(item.scheduledAt)}</p>}
      </div>
    </Link>
  );
}
