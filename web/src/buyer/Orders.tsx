// The buyer's orders, and one order with its status history, payment and after-sales.
import { useState } from 'preact/hooks';
import { get, post, query, useAuth } from '../shared/api.ts';
import { formatMoney, formatTime } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import { goBack, Link } from '../shared/router.tsx';
import type { Order, OrderEvent } from '../shared/types.ts';
import { AuthForm, Empty, errorText, Loaded, OrderStatusBadge, useInterval, useResource, useSubmit } from '../shared/ui.tsx';
import { AfterSales, Insurance } from './AfterSales.tsx';
import { PaymentPanel } from './Payment.tsx';

interface OrderPage {
  orders: Order[];
  nextCursor: string | null;
}

export function Orders() {
  const session = useAuth();
  const [pages, setPages] = useState<Order[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const first = useResource((signal) => (session.token ? get<OrderPage>('/me/orders', signal) : Promise.resolve(null)), [session.token]);
  if (!session.token) return <SignInPage />;
  const next = cursor === undefined ? first.data?.nextCursor : cursor;
  const loadMore = async () => {
    const page = await get<OrderPage>(`/me/orders${query({ cursor: next })}`);
    setPages((o) => [...o, ...page.orders]);
    setCursor(page.nextCursor);
  };
  return (
    <main class="page orders">
      <h1 class="page-title">{t('orders.title')}</h1>
      <Loaded resource={first}>
        {(page) =>
          !page || page.orders.length === 0 ? (
            <Empty icon="receipt" title={t('orders.empty')} hint={t('orders.emptyHint')}>
              <Link class="btn" href="/">
                {t('orders.browse')}
              </Link>
            </Empty>
          ) : (
            <>
              <ul class="order-list">
                {[...page.orders, ...pages].map((o) => (
                  <li key={o.id}>
                    <Link class="order-row card" href={`/orders/${o.id}`} data-testid="order-row">
                      <div>
                        <p class="order-title">{o.items.map((i) => i.title).join('、')}</p>
                        <p class="muted">{formatTime(o.createdAt)}</p>
                      </div>
                      <div class="order-side">
                        <OrderStatusBadge status={o.status} />
                        <strong>{formatMoney(o.total, o.currency)}</strong>
                      </div>
                    </Link>
                  </li>
                ))}
              </ul>
              {next && (
                <button class="btn btn-block" onClick={loadMore}>
                  {t('common.more')}
                </button>
              )}
            </>
          )
        }
      </Loaded>
    </main>
  );
}

export function OrderDetail({ id }: { id: string }) {
  const session = useAuth();
  const order = useResource((signal) => (session.token ? get<{ order: Order }>(`/orders/${id}`, signal).then((r) => r.order) : Promise.resolve(null)), [id, session.token]);
  const events = useResource((signal) => (session.token ? get<{ events: OrderEvent[] }>(`/orders/${id}/events`, signal).then((r) => r.events) : Promise.resolve([])), [id, session.token, order.data?.status]);
  const [paying, setPaying] = useState(false);
  // A payment may still be on its way: look again until the order settles.
  useInterval(order.reload, 3000, order.data?.status === 'pending_payment' && !paying);
  if (!session.token) return <SignInPage />;
  return (
    <main class="page order-detail">
      <Loaded resource={order}>
        {(o) =>
          o && (
            <>
              <section class="card">
                <div class="order-head">
                  {/* Back where the order was opened from: the live room after paying there, or the list. */}
                  <button class="icon-btn order-back" aria-label={t('common.back')} data-testid="back" onClick={() => goBack('/orders')}>
                    <Icon name="back" size={22} />
                  </button>
                  <h1 class="page-title">{t('orders.order')}</h1>
                  <OrderStatusBadge status={o.status} />
                </div>
                <p class="muted mono">{o.id}</p>
                {o.status === 'pending_payment' && (
                  <div class="banner banner-warn" data-testid="payment-due">
                    {t('orders.payBefore', { time: formatTime(o.expiresAt) })}
                  </div>
                )}
                <ul class="order-items">
                  {o.items.map((i) => (
                    <li key={i.skuId}>
                      <Link href={`/p/${i.productId}`}>{i.title}</Link>
                      <span class="muted">{i.skuName}</span>
                      <span>
                        {formatMoney(i.price, o.currency)} × {i.quantity}
                      </span>
                    </li>
                  ))}
                </ul>
                <p class="order-total">
                  {t('orders.total')} <strong data-testid="order-total">{formatMoney(o.total, o.currency)}</strong>
                </p>
                {o.refundedAmount > 0 && (
                  <p class="order-refunded" data-testid="refunded-amount">
                    {t('orders.refunded', { amount: formatMoney(o.refundedAmount, o.currency) })}
                  </p>
                )}
              </section>
              {paying ? (
                <section class="card">
                  <PaymentPanel order={o} onPaid={(paid) => order.setData(paid)} />
                </section>
              ) : (
                o.status === 'pending_payment' && (
                  <div class="actions">
                    <button class="btn btn-primary" onClick={() => setPaying(true)}>
                      {t('orders.payNow')}
                    </button>
                    <OrderAction label={t('orders.cancel')} path={`/orders/${o.id}/cancel`} onDone={order.setData} />
                  </div>
                )
              )}
              {(o.status === 'shipped' || o.status === 'delivered') && (
                <div class="actions">
                  <OrderAction label={t('orders.confirmReceipt')} path={`/orders/${o.id}/confirm-receipt`} onDone={order.setData} primary />
                </div>
              )}
              {o.shipment && (
                <section class="card">
                  <h2>{t('orders.shipment')}</h2>
                  <p>
                    {o.shipment.carrier} · <span class="mono">{o.shipment.trackingNumber}</span>
                  </p>
                </section>
              )}
              <section class="card">
                <h2>{t('orders.address')}</h2>
                <p>
                  {o.address.name} · {o.address.phone}
                </p>
                <p class="muted">
                  {o.address.line1}, {o.address.city}
                </p>
              </section>
              <section class="card">
                <h2>{t('orders.history')}</h2>
                <ol class="timeline">
                  {(events.data ?? []).map((e, i) => (
                    <li key={i}>
                      <span>{t(`orderStatus.${e.to as 'paid'}`)}</span>
                      <span class="muted">{formatTime(e.at)}</span>
                    </li>
                  ))}
                </ol>
              </section>
              {o.paidAt && <Insurance order={o} />}
              {o.paidAt && <AfterSales order={o} onOrderChanged={order.reload} />}
            </>
          )
        }
      </Loaded>
    </main>
  );
}

function OrderAction({ label, path, onDone, primary }: { label: string; path: string; onDone(order: Order): void; primary?: boolean }) {
  const { busy, error, run } = useSubmit(async () => onDone((await post<{ order: Order }>(path)).order));
  return (
    <>
      <button class={primary ? 'btn btn-primary' : 'btn'} disabled={busy} onClick={run}>
        {label}
      </button>
      {error !== null && <p class="form-error">{errorText(error)}</p>}
    </>
  );
}

export function SignInPage() {
  return (
    <main class="page">
      <h1 class="page-title">{t('auth.welcome')}</h1>
      <AuthForm />
    </main>
  );
}
