// The marketplace (达人广场): products merchants publish with a commission. An influencer adds one to their
// showcase (a tier too low is refused with what is missing); a group leader invites an influencer to it.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, post, query, useAuth } from '../shared/api.ts';
import { commissionOf, formatBps } from '../shared/commission.ts';
import { formatMoney } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import { Link } from '../shared/router.tsx';
import type { Offer, ShowcaseItem } from '../shared/types.ts';
import { Empty, Failure, Spinner, useSubmit } from '../shared/ui.tsx';
import { MePage, More, refusalText, usePaged } from './MePage.tsx';

export function Marketplace() {
  return (
    <MePage title={t('marketplace.title')} testId="marketplace-page" signedIn={false}>
      <MarketplaceBody />
    </MePage>
  );
}

function MarketplaceBody() {
  const session = useAuth();
  const [draft, setDraft] = useState('');
  const [q, setQ] = useState('');
  const offers = usePaged<Offer>(`/marketplace/offers${query({ q })}`, 'offers');
  const [inShowcase, setInShowcase] = useState<Set<string>>(new Set());
  const [isLeader, setIsLeader] = useState(false);

  // What this user already shows, and whether they lead a group (then they can invite to an offer).
  useEffect(() => {
    if (!session.token) return;
    const abort = new AbortController();
    get<{ items: ShowcaseItem[] }>('/me/showcase', abort.signal).then(
      (r) => setInShowcase(new Set(r.items.map((i) => i.offer.id))),
      () => undefined,
    );
    get('/me/group-leader', abort.signal).then(
      () => setIsLeader(true),
      () => setIsLeader(false),
    );
    return () => abort.abort();
  }, [session.token]);

  const search = (e: Event) => {
    e.preventDefault();
    setQ(draft.trim());
  };

  return (
    <>
      <form class="search" role="search" onSubmit={search}>
        <input type="search" name="q" aria-label={t('marketplace.search')} placeholder={t('marketplace.search')} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
        <button class="btn">{t('marketplace.searchButton')}</button>
      </form>
      <p class="hint">{t('marketplace.hint')}</p>
      {offers.items.length === 0 ? (
        offers.error ? (
          <Failure error={offers.error} onRetry={offers.reload} />
        ) : offers.loading ? (
          <Spinner />
        ) : (
          <Empty icon="bag" title={t('marketplace.empty')} />
        )
      ) : (
        <ul class="rows offers" data-testid="offers">
          {offers.items.map((o) => (
            <OfferRow key={o.id} offer={o} added={inShowcase.has(o.id)} isLeader={isLeader} onAdded={() => setInShowcase(new Set([...inShowcase, o.id]))} />
          ))}
        </ul>
      )}
      <More list={offers} />
    </>
  );
}

function OfferRow({ offer, added, isLeader, onAdded }: { offer: Offer; added: boolean; isLeader: boolean; onAdded(): void }) {
  const session = useAuth();
  const { busy, error, run: add } = useSubmit(async () => {
    try {
      await post('/me/showcase', { offerId: offer.id });
    } catch (err) {
      // Already there is as good as added.
      if (!(err instanceof ApiError && err.status === 409)) throw err;
    }
    onAdded();
  });
  return (
    <li class="card offer-row" data-testid="offer" data-offer={offer.id}>
      <Link class="offer-thumb" href={`/p/${offer.productId}`}>
        {offer.image ? <img src={offer.image} alt="" /> : <Icon name="bag" size={32} />}
      </Link>
      <div class="row-main">
        <Link class="row-title" href={`/p/${offer.productId}`}>
          {offer.title}
        </Link>
        <p class="row-meta">
          {offer.shopName} · {formatMoney(offer.price)}
        </p>
        <p class="offer-commission">
          {t('marketplace.commission', { rate: formatBps(offer.commissionBps) })} · {t('marketplace.earnPerSale', { amount: formatMoney(commissionOf(offer.price, offer.commissionBps)) })}
        </p>
        {offer.leaderShareBps > 0 && <p class="row-meta">{t('marketplace.leaderShare', { rate: formatBps(offer.leaderShareBps) })}</p>}
        {error !== null && (
          <p class="form-error" role="alert" data-testid="offer-error">
            {error instanceof ApiError && error.status === 403 ? `${t('marketplace.refused')} ${error.message}` : refusalText(error)}{' '}
            {error instanceof ApiError && error.status === 403 && <Link href="/me/influencer">{t('influencer.title')}</Link>}
          </p>
        )}
        <div class="actions">
          {!session.token ? (
            <Link class="btn btn-small" href={`/signin?next=${encodeURIComponent('/marketplace')}`}>
              {t('auth.signIn')}
            </Link>
          ) : added ? (
            <span class="badge badge-ok" data-testid="in-showcase">
              {t('marketplace.inShowcase')}
            </span>
          ) : (
            <button class="btn btn-small btn-primary" disabled={busy} onClick={add} data-testid="add-to-showcase">
              {busy ? t('common.wait') : t('marketplace.add')}
            </button>
          )}
          {isLeader && (
            <Link class="btn btn-small" href={`/me/group-leader?offer=${offer.id}`}>
              {t('leader.invite')}
            </Link>
          )}
        </div>
      </div>
    </li>
  );
}
