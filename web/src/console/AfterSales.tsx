// The shop's after-sales: the queue filtered by status, and one request with its order, photos and history, where
// staff approve, reject with a reason, confirm a return received, or send a refund the payment service failed
// again. The shop's owner also turns shipping-return insurance on for every order here.
import { useState } from 'preact/hooks';
import { api, get, post, query } from '../shared/api.ts';
import { formatMoney, formatTime } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Link } from '../shared/router.tsx';
import type { Order, Refund, RefundEvent, RefundStatus, Shop } from '../shared/types.ts';
import { Empty, errorText, FilterChips, Loaded, OrderStatusBadge, refundNoteText, RefundStatusBadge, useInterval, useResource, useSubmit } from '../shared/ui.tsx';
import './AfterSales.css';

const FILTERS: (RefundStatus | '')[] = ['', 'requested', 'return_shipped', 'awaiting_return', 'refund_failed', 'escalated', 'refunding', 'refunded', 'rejected', 'cancelled'];

interface RefundPage {
  refunds: Refund[];
  nextCursor: string | null;
}

export function AfterSalesQueue({ shop }: { shop: Shop }) {
  const [status, setStatus] = useState<RefundStatus | ''>('requested');
  const [extra, setExtra] = useState<Refund[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const first = useResource((signal) => {
    setExtra([]);
    setCursor(undefined);
    return get<RefundPage>(`/shops/${shop.id}/refunds${query({ status, limit: 50 })}`, signal);
  }, [shop.id, status]);
  useInterval(first.reload, 10_000);
  const next = cursor === undefined ? first.data?.nextCursor : cursor;
  const loadMore = async () => {
    const page = await get<RefundPage>(`/shops/${shop.id}/refunds${query({ status, cursor: next, limit: 50 })}`);
    setExtra((list) => [...list, ...page.refunds]);
    setCursor(page.nextCursor);
  };
  return (
    <>
      <header class="page-head">
        <h1>{t('console.nav.aftersales')}</h1>
        <button class="btn btn-small" onClick={first.reload}>
          {t('common.refresh')}
        </button>
      </header>
      {shop.myRole !== 'staff' && <InsureAllOrders shop={shop} />}
      <FilterChips<RefundStatus | ''> values={FILTERS} value={status} onChange={setStatus} label={(f) => (f ? t(`aftersales.statuses.${f}`) : t('orders.all'))} />
      <Loaded resource={first}>
        {(page) =>
          page.refunds.length === 0 ? (
            <Empty icon="receipt" title={t('aftersales.none')} />
          ) : (
            <div class="table-wrap panel">
              <table class="table" data-testid="aftersales-queue">
                <thead>
                  <tr>
                    <th>{t('aftersales.asked')}</th>
                    <th>{t('aftersales.type')}</th>
                    <th>{t('aftersales.amount')}</th>
                    <th>{t('aftersales.reasonCode')}</th>
                    <th>{t('orders.status')}</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {[...page.refunds, ...extra].map((r) => (
                    <tr key={r.id} data-testid="aftersales-row" data-status={r.status}>
                      <td>
                        {formatTime(r.createdAt)}
                        <br />
                        <span class="mono muted">{r.orderId.slice(-10)}</span>
                      </td>
                      <td>{t(`aftersales.types.${r.type}`)}</td>
                      <td>{formatMoney(r.amount)}</td>
                      <td>
                        {r.initiatedBy === 'merchant' ? t('aftersales.initiatedByShop') : t(`aftersales.reasons.${r.reasonCode}`)}
                        <div class="muted clip">{r.reason}</div>
                      </td>
                      <td>
                        <RefundStatusBadge status={r.status} />
                        {r.deadline && <div class="muted">{formatTime(r.deadline.at)}</div>}
                      </td>
                      <td>
                        <Link class="btn btn-small" href={`/console/aftersales/${r.id}`}>
                          {t('aftersales.title')}
                        </Link>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {next && (
                <button class="btn btn-block" onClick={loadMore}>
                  {t('common.more')}
                </button>
              )}
            </div>
          )
        }
      </Loaded>
    </>
  );
}

function InsureAllOrders({ shop }: { shop: Shop }) {
  const settings = useResource((signal) => get<{ settings: { insureAllOrders: boolean } }>(`/shops/${shop.id}/aftersales-settings`, signal).then((r) => r.settings), [shop.id]);
  const { error, run: toggle } = useSubmit(async (insureAllOrders: boolean) =>
    settings.setData((await api<{ settings: { insureAllOrders: boolean } }>('PUT', `/shops/${shop.id}/aftersales-settings`, { body: { insureAllOrders } })).settings),
  );
  return (
    <section class="panel">
      <Loaded resource={settings}>
        {(s) => (
          <label class="check-row">
            <input type="checkbox" checked={s.insureAllOrders} onChange={(e) => toggle(e.currentTarget.checked)} />
            <span>
              <strong>{t('aftersales.insureAll')}</strong>
              <small class="muted">{t('aftersales.insureAllHint')}</small>
            </span>
          </label>
        )}
      </Loaded>
      {error !== null && <p class="form-error">{errorText(error)}</p>}
    </section>
  );
}

export function AfterSalesDetail({ id }: { id: string }) {
  const refund = useResource((signal) => get<{ refund: Refund }>(`/refunds/${id}`, signal).then((r) => r.refund), [id]);
  const order = useResource((signal) => (refund.data ? get<{ order: Order }>(`/orders/${refund.data.orderId}`, signal).then((r) => r.order) : Promise.resolve(null)), [refund.data?.orderId, refund.data?.status]);
  useInterval(refund.reload, 2000, refund.data?.status === 'refunding');
  return (
    <>
      <header class="page-head">
        <Link href="/console/aftersales">← {t('aftersales.back')}</Link>
      </header>
      <Loaded resource={refund}>
        {(r) => (
          <div class="control-grid">
            <div>
              <section class="panel" data-testid="aftersales-detail" data-status={r.status}>
                <div class="panel-head">
                  <h1 class="h2">
                    {t(`aftersales.types.${r.type}`)} · {formatMoney(r.amount)}
                  </h1>
                  <RefundStatusBadge status={r.status} />
                </div>
                <dl class="facts">
                  <dt>{t('aftersales.reasonCode')}</dt>
                  <dd>{r.initiatedBy === 'merchant' ? t('aftersales.initiatedByShop') : t(`aftersales.reasons.${r.reasonCode}`)}</dd>
                  <dt>{t('aftersales.reason')}</dt>
                  <dd class="pre">{r.reason}</dd>
                  {r.description && (
                    <>
                      <dt>{t('aftersales.description')}</dt>
                      <dd class="pre">{r.description}</dd>
                    </>
                  )}
                  <dt>{t('aftersales.asked')}</dt>
                  <dd>{formatTime(r.createdAt)}</dd>
                  {r.items.length > 0 && (
                    <>
                      <dt>{t('orders.items')}</dt>
                      <dd>
                        {r.items.map((it) => (
                          <div key={it.skuId}>
                            {t('aftersales.itemLine', { title: order.data?.items.find((i) => i.skuId === it.skuId)?.title ?? it.skuId, n: it.quantity })}
                          </div>
                        ))}
                      </dd>
                    </>
                  )}
                  {r.returnShipment && (
                    <>
                      <dt>{t('aftersales.shipBack')}</dt>
                      <dd data-testid="return-tracking">
                        {r.returnShipment.carrier} <span class="mono">{r.returnShipment.trackingNumber}</span>
                      </dd>
                    </>
                  )}
                </dl>
                {r.photos.length > 0 && (
                  <>
                    <h2>{t('aftersales.photosTitle')}</h2>
                    <div class="photos">
                      {r.photos.map((u) => (
                        <a key={u} href={u} target="_blank" rel="noopener noreferrer">
                          <img src={u} alt="" loading="lazy" referrerpolicy="no-referrer" onError={(e) => e.currentTarget.classList.add('broken')} />
                        </a>
                      ))}
                    </div>
                  </>
                )}
                {r.deadline && <p class="banner banner-warn">{t(`aftersales.deadline.${r.deadline.action}`, { time: formatTime(r.deadline.at) })}</p>}
                {r.rejectionReason && <p class="muted">{t('aftersales.rejectionReason', { reason: r.rejectionReason })}</p>}
                {r.escalation && <p class="muted">{r.escalation.reason}</p>}
                {r.escalation?.decision && <p class="banner">{t(`aftersales.decision.${r.escalation.decision}`, { note: r.escalation.note ?? '' })}</p>}
                {r.refundFailure && (
                  <p class="banner banner-bad" data-testid="refund-failure">
                    {t('aftersales.refundFailed', { reason: r.refundFailure.reason })}
                  </p>
                )}
                <MerchantActions refund={r} onChanged={refund.setData} />
              </section>
              <section class="panel">
                <h2>{t('aftersales.history')}</h2>
                <History refund={r} />
              </section>
            </div>
            <Loaded resource={order}>
              {(o) =>
                o && (
                  <section class="panel" data-testid="aftersales-order">
                    <div class="panel-head">
                      <h2>
                        {t('orders.order')} <span class="mono muted">{o.id}</span>
                      </h2>
                      <OrderStatusBadge status={o.status} />
                    </div>
                    {o.items.map((i) => (
                      <div key={i.skuId}>
                        {i.title} · {i.skuName} × {i.quantity} <span class="muted">{formatMoney(i.price, o.currency)}</span>
                      </div>
                    ))}
                    <dl class="facts">
                      <dt>{t('orders.total')}</dt>
                      <dd>{formatMoney(o.total, o.currency)}</dd>
                      <dt>{t('aftersales.refundedTotal')}</dt>
                      <dd data-testid="order-refunded">{formatMoney(o.refundedAmount, o.currency)}</dd>
                      {o.insurance && (
                        <>
                          <dt>{t('aftersales.premium')}</dt>
                          <dd>{formatMoney(o.insurance.premium, o.currency)}</dd>
                          <dt>{t('aftersales.payout')}</dt>
                          <dd>{formatMoney(o.insurance.payout, o.currency)}</dd>
                        </>
                      )}
                      <dt>{t('orders.buyerAddress')}</dt>
                      <dd>
                        {o.address.name} · {o.address.city}
                      </dd>
                      {o.shipment && (
                        <>
                          <dt>{t('orders.shipment')}</dt>
                          <dd>
                            {o.shipment.carrier} <span class="mono">{o.shipment.trackingNumber}</span>
                          </dd>
                        </>
                      )}
                    </dl>
                  </section>
                )
              }
            </Loaded>
          </div>
        )}
      </Loaded>
    </>
  );
}

function MerchantActions({ refund: r, onChanged }: { refund: Refund; onChanged(r: Refund): void }) {
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const { busy, error, run } = useSubmit(async (action: string, body?: unknown) => {
    onChanged((await post<{ refund: Refund }>(`/refunds/${r.id}/${action}`, body)).refund);
    setRejecting(false);
  });
  return (
    <>
      <div class="actions">
        {r.status === 'requested' && (
          <>
            <button class="btn btn-primary" disabled={busy} onClick={() => run('approve')} data-testid="approve">
              {t('aftersales.approve')}
            </button>
            <button class="btn btn-danger" disabled={busy} onClick={() => setRejecting(!rejecting)}>
              {t('aftersales.reject')}
            </button>
          </>
        )}
        {(r.status === 'awaiting_return' || r.status === 'return_shipped') && (
          <button class="btn btn-primary" disabled={busy} onClick={() => run('receive')} data-testid="receive">
            {t('aftersales.receive')}
          </button>
        )}
        {r.status === 'refund_failed' && (
          <button class="btn btn-primary" disabled={busy} onClick={() => run('retry')} data-testid="retry">
            {t('aftersales.retry')}
          </button>
        )}
      </div>
      {rejecting && (
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            void run('reject', { reason: reason.trim() });
          }}
        >
          <label class="grow">
            {t('aftersales.rejectReason')}
            <input name="rejectReason" required maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
          <button class="btn btn-danger" type="submit" disabled={busy}>
            {t('aftersales.confirmReject')}
          </button>
        </form>
      )}
      {error !== null && <p class="form-error">{errorText(error)}</p>}
    </>
  );
}

export function History({ refund }: { refund: Refund }) {
  const events = useResource((signal) => get<{ events: RefundEvent[] }>(`/refunds/${refund.id}/events`, signal).then((r) => r.events), [refund.id, refund.status]);
  return (
    <ol class="steps history" data-testid="refund-history">
      {(events.data ?? []).map((e, i) => (
        <li key={i}>
          <RefundStatusBadge status={e.to} /> <span class="muted">{formatTime(e.at)}</span>
          {e.note && <div class="pre">{refundNoteText(e)}</div>}
        </li>
      ))}
    </ol>
  );
}
