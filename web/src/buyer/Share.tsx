// The page a share link opens (/s/:token), light enough for a phone on a chat app's in-app browser: the
// share card (what, how much, who shared it, which shop); a product is bought in place (sign in or up,
// option, address, pay) and a live room is joined in place. The visit is recorded once, and the token is
// kept for this product or room, so the order placed here, or a few steps later, carries it.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, post } from '../shared/api.ts';
import { formatMoney } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import { Link, navigate } from '../shared/router.tsx';
import type { Product, SharedLink } from '../shared/types.ts';
import { Empty, Failure, LanguageSwitch, Spinner, useResource } from '../shared/ui.tsx';
import { recordProductView } from './analytics-events.ts';
import { BuySheet } from './BuySheet.tsx';
import { Room } from './Room.tsx';
import { ShareButton } from './ShareButton.tsx';
import { rememberShareToken } from './sharing.ts';
import './sharing.css';

const VISITED = 'hawker.visited.';

/** One visit per link per tab: a reload or coming back to the page is not another visitor. */
function recordVisit(token: string) {
  try {
    if (sessionStorage.getItem(VISITED + token)) return;
    sessionStorage.setItem(VISITED + token, '1');
  } catch {
    // no storage: count this opening
  }
  post(`/share-links/${encodeURIComponent(token)}/visits`, {}).catch(() => {
    // a lost visit is only a figure; the visitor's page goes on
  });
}

export function Share({ token }: { token: string }) {
  const link = useResource((signal) => get<{ shareLink: SharedLink }>(`/share-links/${encodeURIComponent(token)}`, signal).then((r) => r.shareLink), [token]);
  const [joined, setJoined] = useState(false);
  const shared = link.data;

  useEffect(() => {
    if (!shared) return;
    rememberShareToken(shared.target, token);
    recordVisit(token);
    document.title = shared.card.title;
    // A video plays in the video feed, starting at it; the token kept above goes with an order placed there.
    if (shared.target.type === 'video') navigate(`/v/${encodeURIComponent(shared.target.id)}?from=share`, { replace: true });
  }, [shared?.id]);

  if (shared?.target.type === 'live' && joined) return <Room id={shared.target.id} source="share" onBack={() => setJoined(false)} />;

  let body;
  if (shared?.target.type === 'video') body = <Spinner />;
  else if (shared) body = shared.target.type === 'product' ? <SharedProduct link={shared} /> : <SharedLive link={shared} onJoin={() => setJoined(true)} />;
  else if (link.error instanceof ApiError && (link.error.status === 400 || link.error.status === 404)) {
    body = (
      <Empty icon="ban" title={t('share.invalidTitle')} hint={t('share.invalidHint')}>
        <Link class="btn" href="/">
          {t('feed.title')}
        </Link>
      </Empty>
    );
  } else if (link.error) body = <Failure error={link.error} onRetry={link.reload} />;
  else body = <Spinner />;

  return (
    <div class="shell share-shell">
      <header class="topbar">
        <Link class="brand" href="/">
          Hawker
        </Link>
        <LanguageSwitch />
      </header>
      <main class="page share" data-testid="share-page">
        {body}
      </main>
    </div>
  );
}

function SharedBy({ link }: { link: SharedLink }) {
  const name = link.sharer.displayName || link.sharer.handle;
  return (
    <p class="shared-by" data-testid="shared-by">
      <span class="avatar" aria-hidden="true">
        {name.slice(0, 1).toUpperCase()}
      </span>
      <span>{t('share.sharedBy', { name })}</span>
    </p>
  );
}

function CardImage({ src }: { src: string | null }) {
  return src ? (
    <img class="share-image" src={src} alt="" />
  ) : (
    <div class="share-image share-image-none">
      <Icon name="bag" size={56} />
    </div>
  );
}

function SharedProduct({ link }: { link: SharedLink }) {
  const { card } = link;
  const product = useResource((signal) => get<{ product: Product }>(`/products/${link.target.id}`, signal).then((r) => r.product), [link.target.id]);
  const [buying, setBuying] = useState(false);
  // The product's page, reached through a share link.
  useEffect(() => recordProductView(link.target.id, 'share'), [link.target.id]);
  const p = product.data;
  const available = p ? p.skus.reduce((n, s) => n + s.available, 0) : 0;
  const listed = (p?.status ?? card.status) === 'listed';
  return (
    <>
      <SharedBy link={link} />
      <article class="card share-card" data-testid="share-card">
        <CardImage src={p?.images[0] ?? card.image} />
        <h1 class="product-title">{card.title}</h1>
        {card.price !== null && <p class="product-price">{t('share.priceFrom', { price: formatMoney(card.price) })}</p>}
        <p class="muted share-shop">
          <Icon name="bag" size={14} /> {card.shopName}
        </p>
        {(p?.description || card.description) && <p class="product-description share-description">{p?.description || card.description}</p>}
      </article>
      {product.error !== null && <Failure error={product.error} onRetry={product.reload} />}
      {!listed && <Empty icon="ban" title={t('product.notListed')} />}
      <div class="buy-bar share-bar">
        <ShareButton target={link.target} title={card.title} class="btn btn-big" label={false} />
        <button class="btn btn-primary btn-big grow" disabled={!p || !listed || available === 0} onClick={() => setBuying(true)} data-testid="buy">
          {!p ? t('common.loading') : available === 0 ? t('product.soldOut') : t('product.buyNow')}
        </button>
      </div>
      {p && (
        <BuySheet
          open={buying}
          onClose={() => {
            setBuying(false);
            product.reload();
          }}
          target={{ title: p.title, skus: p.skus, source: 'share' }}
        />
      )}
    </>
  );
}

function SharedLive({ link, onJoin }: { link: SharedLink; onJoin(): void }) {
  const { card } = link;
  const ended = card.status === 'ended';
  return (
    <>
      <SharedBy link={link} />
      <article class="card share-card" data-testid="share-card">
        <div class="share-live-cover">
          <CardImage src={card.image} />
          <span class={card.status === 'live' ? 'badge badge-live' : 'badge'}>{t(`share.liveStatus.${card.status as 'live'}`, { defaultValue: card.status })}</span>
        </div>
        <h1 class="product-title">{card.title}</h1>
        {card.price !== null && <p class="product-price">{t('share.dropPrice', { price: formatMoney(card.price) })}</p>}
        <p class="muted share-shop">
          <Icon name="tv" size={14} /> {card.shopName}
        </p>
      </article>
      <div class="buy-bar share-bar">
        <ShareButton target={link.target} title={card.title} class="btn btn-big" label={false} />
        <button class="btn btn-primary btn-big grow" onClick={onJoin} data-testid="join-live">
          {ended ? t('share.watchReplay') : t('share.joinLive')}
        </button>
      </div>
    </>
  );
}
