// Selling through influencers: publish a product to the marketplace (达人广场) with a commission rate and
// the group leader's share of it, withdraw it; what each offer brought (showcases, orders, GMV, commission);
// how each influencer sold; and the shop's private traffic (私域: visits and orders from share links).
import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../shared/api.ts';
import { formatBps, percentToBps } from '../shared/commission.ts';
import { formatMoney, formatNumber } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import type { InfluencerPerformance, OfferWithFigures, Product, Shop, ShopAffiliateStats, ShopStats } from '../shared/types.ts';
import { Empty, errorText, Loaded, useResource, useSubmit } from '../shared/ui.tsx';
import { Figure } from './ShopOverview.tsx';

export function Offers({ shop }: { shop: Shop }) {
  const offers = useResource((signal) => get<{ offers: OfferWithFigures[] }>(`/shops/${shop.id}/offers?limit=100`, signal).then((r) => r.offers), [shop.id]);
  return (
    <>
      <header class="page-head">
        <h1>{t('offers.title')}</h1>
      </header>
      <PrivateTraffic shop={shop} />
      <Publish shop={shop} offers={offers.data ?? []} onPublished={offers.reload} />
      <section class="panel">
        <h2>{t('offers.list')}</h2>
        <Loaded resource={offers}>{(list) => (list.length === 0 ? <Empty icon="bag" title={t('offers.empty')} hint={t('offers.emptyHint')} /> : <OfferTable offers={list} onChanged={offers.reload} />)}</Loaded>
      </section>
      <InfluencerTable shop={shop} />
    </>
  );
}

function PrivateTraffic({ shop }: { shop: Shop }) {
  const stats = useResource((signal) => get<{ stats: ShopStats & ShopAffiliateStats }>(`/shops/${shop.id}/stats`, signal).then((r) => r.stats), [shop.id]);
  const s = stats.data;
  if (!s?.privateTraffic) return null;
  const traffic = s.privateTraffic;
  return (
    <section class="panel" data-testid="private-traffic">
      <h2>{t('offers.privateTraffic')}</h2>
      <div class="figures">
        <Figure label={t('offers.visits')} value={formatNumber(traffic.visits)} testId="private-visits" />
        <Figure label={t('figures.paidOrders')} value={formatNumber(traffic.orders)} testId="private-orders" />
        <Figure label={t('figures.gmv')} value={formatMoney(traffic.gmv, s.currency)} testId="private-gmv" />
        {s.commissions && <Figure label={t('offers.commissionPending')} value={formatMoney(s.commissions.pending, s.currency)} testId="commission-pending" />}
        {s.commissions && <Figure label={t('offers.commissionSettled')} value={formatMoney(s.commissions.settled, s.currency)} />}
      </div>
      {traffic.byChannel.length > 0 && (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>{t('offers.channel')}</th>
                <th>{t('offers.visits')}</th>
                <th>{t('figures.paidOrders')}</th>
                <th>{t('figures.gmv')}</th>
              </tr>
            </thead>
            <tbody>
              {traffic.byChannel.map((c) => (
                <tr key={c.channel}>
                  <td>{t(`shares.channels.${c.channel}`, { defaultValue: c.channel })}</td>
                  <td>{formatNumber(c.visits)}</td>
                  <td>{formatNumber(c.orders)}</td>
                  <td>{formatMoney(c.gmv, s.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Publish({ shop, offers, onPublished }: { shop: Shop; offers: OfferWithFigures[]; onPublished(): void }) {
  const products = useResource((signal) => get<{ products: Product[] }>(`/shops/${shop.id}/products?limit=200`, signal).then((r) => r.products.filter((p) => p.status === 'listed')), [shop.id]);
  const [productId, setProductId] = useState('');
  const [commission, setCommission] = useState('10');
  const [leaderShare, setLeaderShare] = useState('0');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const chosen = productId || products.data?.[0]?.id || '';
  const { busy, run: publish } = useSubmit(async (rates: { commissionBps: number; leaderShareBps: number }) => {
    setResult(null);
    try {
      await post(`/shops/${shop.id}/offers`, { productId: chosen, ...rates });
      setResult({ ok: true, text: t('offers.published') });
      onPublished();
    } catch (err) {
      setResult({ ok: false, text: errorText(err) });
    }
  });

  // Choosing a product already on offer starts from its current rates (publishing again updates them).
  useEffect(() => {
    const current = offers.find((o) => o.productId === chosen && o.status === 'active');
    if (current) {
      setCommission(String(current.commissionBps / 100));
      setLeaderShare(String(current.leaderShareBps / 100));
    }
  }, [chosen, offers.length]);

  const submit = (e: Event) => {
    e.preventDefault();
    const commissionBps = percentToBps(commission);
    const leaderShareBps = percentToBps(leaderShare || '0');
    if (commissionBps === null || commissionBps < 1 || commissionBps > 9000) return setResult({ ok: false, text: t('offers.badCommission') });
    if (leaderShareBps === null || leaderShareBps > 10_000) return setResult({ ok: false, text: t('offers.badLeaderShare') });
    void publish({ commissionBps, leaderShareBps });
  };

  return (
    <section class="panel" data-testid="publish-offer">
      <h2>{t('offers.publish')}</h2>
      <p class="muted">{t('offers.publishHint')}</p>
      <Loaded resource={products}>
        {(list) =>
          list.length === 0 ? (
            <p class="muted">{t('live.noProducts')}</p>
          ) : (
            <form class="row" onSubmit={submit}>
              <label class="grow">
                {t('offers.product')}
                <select name="product" value={chosen} onChange={(e) => setProductId(e.currentTarget.value)}>
                  {list.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.title}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                {t('offers.commissionRate')}
                <input name="commission" inputMode="decimal" required value={commission} onInput={(e) => setCommission(e.currentTarget.value)} />
              </label>
              <label>
                {t('offers.leaderShareRate')}
                <input name="leaderShare" inputMode="decimal" value={leaderShare} onInput={(e) => setLeaderShare(e.currentTarget.value)} />
              </label>
              <button class="btn btn-primary" disabled={busy} data-testid="publish">
                {busy ? t('common.wait') : t('offers.publishButton')}
              </button>
            </form>
          )
        }
      </Loaded>
      {result && (
        <p class={result.ok ? 'muted' : 'form-error'} role="status" data-testid="publish-result">
          {result.text}
        </p>
      )}
    </section>
  );
}

function OfferTable({ offers, onChanged }: { offers: OfferWithFigures[]; onChanged(): void }) {
  const { error, run } = useSubmit(async (id: string) => {
    await post(`/offers/${id}/withdraw`);
    onChanged();
  });
  const withdraw = (id: string) => confirm(t('offers.withdrawConfirm')) && run(id);
  return (
    <div class="table-wrap">
      {error !== null && <p class="form-error">{errorText(error)}</p>}
      <table class="table" data-testid="offers-table">
        <thead>
          <tr>
            <th>{t('offers.product')}</th>
            <th>{t('products.price')}</th>
            <th>{t('offers.commission')}</th>
            <th>{t('offers.leaderShare')}</th>
            <th>{t('offers.status')}</th>
            <th>{t('offers.showcases')}</th>
            <th>{t('figures.paidOrders')}</th>
            <th>{t('figures.gmv')}</th>
            <th>{t('offers.commissionPaid')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {offers.map((o) => (
            <tr key={o.id} data-testid="offer-row" data-status={o.status}>
              <td>{o.title}</td>
              <td>{formatMoney(o.price)}</td>
              <td data-testid="offer-commission">{formatBps(o.commissionBps)}</td>
              <td>{formatBps(o.leaderShareBps)}</td>
              <td>
                <span class={o.status === 'active' ? 'badge badge-ok' : 'badge'}>{t(`offers.statuses.${o.status}`)}</span>
              </td>
              <td>{formatNumber(o.showcases)}</td>
              <td>{formatNumber(o.orders)}</td>
              <td>{formatMoney(o.gmv)}</td>
              <td>{formatMoney(o.commission)}</td>
              <td>
                {o.status === 'active' && (
                  <button class="btn btn-small btn-danger" onClick={() => withdraw(o.id)}>
                    {t('offers.withdraw')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function InfluencerTable({ shop }: { shop: Shop }) {
  const influencers = useResource((signal) => get<{ influencers: InfluencerPerformance[] }>(`/shops/${shop.id}/influencers`, signal).then((r) => r.influencers), [shop.id]);
  return (
    <section class="panel" data-testid="influencer-performance">
      <h2>{t('offers.influencers')}</h2>
      <Loaded resource={influencers}>
        {(list) =>
          list.length === 0 ? (
            <p class="muted">{t('offers.noInfluencers')}</p>
          ) : (
            <div class="table-wrap">
              <table class="table">
                <thead>
                  <tr>
                    <th>{t('offers.influencer')}</th>
                    <th>{t('offers.tier')}</th>
                    <th>{t('figures.paidOrders')}</th>
                    <th>{t('figures.gmv')}</th>
                    <th>{t('offers.refunded')}</th>
                    <th>{t('offers.commissionPaid')}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((i) => (
                    <tr key={i.userId} data-testid="influencer-row">
                      <td>@{i.handle}</td>
                      <td>
                        <strong>{i.tier ?? '—'}</strong>
                      </td>
                      <td>{formatNumber(i.orders)}</td>
                      <td>{formatMoney(i.gmv)}</td>
                      <td>{formatMoney(i.refunded)}</td>
                      <td>{formatMoney(i.commission)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
    </section>
  );
}
