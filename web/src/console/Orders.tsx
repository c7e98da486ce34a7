// The shop's orders: filter by status, ship paid ones, mark shipped ones delivered.
import { useState } from 'preact/hooks';
import { get, post, query } from '../shared/api.ts';
import { formatMoney, formatTime } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import type { Order, OrderStatus, Shop } from '../shared/types.ts';
import { Empty, errorText, FilterChips, Loaded, OrderStatusBadge, useResource, useSubmit } from '../shared/ui.tsx';

const FILTERS: (OrderStatus | '')[] = ['', 'pending_payment', 'paid', 'shipped', 'delivered', 'completed', 'refunded', 'cancelled', 'expired'];

interface OrderPage {
  orders: Order[];
  nextCursor: string | null;
}

export function ShopOrders({ shop }: { shop: Shop }) {
  const [status, setStatus] = useState<OrderStatus | ''>('');
  const [extra, setExtra] = useState<Order[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const first = useResource((signal) => {
    setExtra([]);
    setCursor(undefined);
    return get<OrderPage>(`/shops/${shop.id}/orders${query({ status, limit: 50 })}`, signal);
  }, [shop.id, status]);
  const next = cursor === undefined ? first.data?.nextCursor : cursor;
  const loadMore = async () => {
    const page = await get<OrderPage>(`/shops/${shop.id}/orders${query({ status, cursor: next, limit: 50 })}`);
    setExtra((o) => [...o, ...page.orders]);
    setCursor(page.nextCursor);
  };
  const replace = (order: Order) => {
    if (first.data) first.setData({ ...first.data, orders: first.data.orders.map((o) => (o.id === order.id ? order : o)) });
    setExtra((list) => list.map((o) => (o.id === order.id ? order : o)));
  };

  return (
    <>
      <header class="page-head">
        <h1>{t('console.nav.orders')}</h1>
        <button class="btn btn-small" onClick={first.reload}>
          {t('common.refresh')}
        </button>
      </header>
      <FilterChips<OrderStatus | ''> values={FILTERS} value={status} onChange={setStatus} label={(f) => (f ? t(`orderStatus.${f}`) : t('orders.all'))} />
      <Loaded resource={first}>
        {(page) =>
          page.orders.length === 0 ? (
            <Empty icon="receipt" title={t('orders.noneForShop')} />
          ) : (
            <div class="table-wrap panel">
              <table class="table" data-testid="shop-orders">
                <thead>
                  <tr>
                    <th>{t('orders.order')}</th>
                    <th>{t('orders.items')}</th>
                    <th>{t('orders.total')}</th>
                    <th>{t('orders.status')}</th>
                    <th>{t('orders.buyerAddress')}</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {[...page.orders, ...extra].map((o) => (
                    <OrderRow key={o.id} order={o} onChanged={replace} />
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

function OrderRow({ order, onChanged }: { order: Order; onChanged(o: Order): void }) {
  const [shipping, setShipping] = useState(false);
  const [carrier, setCarrier] = useState('');
  const [tracking, setTracking] = useState('');
  const { error, run } = useSubmit(async (path: string, body: unknown = {}) => {
    onChanged((await post<{ order: Order }>(`/orders/${order.id}/${path}`, body)).order);
    setShipping(false);
  });
  return (
    <tr data-testid="shop-order" data-status={order.status}>
      <td>
        <span class="mono">{order.id.slice(-10)}</span>
        <br />
        <span class="muted">{formatTime(order.createdAt)}</span>
      </td>
      <td>
        {order.items.map((i) => (
          <div key={i.skuId}>
            {i.title} · {i.skuName} × {i.quantity}
          </div>
        ))}
        {order.dropId && <span class="badge badge-info">{t('orders.fromDrop')}</span>}
      </td>
      <td>{formatMoney(order.total, order.currency)}</td>
      <td>
        <OrderStatusBadge status={order.status} />
        {order.shipment && (
          <div class="muted">
            {order.shipment.carrier} {order.shipment.trackingNumber}
          </div>
        )}
      </td>
      <td>
        {order.address.name} {order.address.phone}
        <div class="muted">
          {order.address.line1}, {order.address.city}
        </div>
      </td>
      <td>
        {order.status === 'paid' &&
          (shipping ? (
            <form
              class="inline"
              onSubmit={(e) => {
                e.preventDefault();
                void run('ship', { carrier: carrier.trim(), trackingNumber: tracking.trim() });
              }}
            >
              <input required maxLength={64} placeholder={t('orders.carrier')} value={carrier} onInput={(e) => setCarrier(e.currentTarget.value)} />
              <input required maxLength={64} placeholder={t('orders.tracking')} value={tracking} onInput={(e) => setTracking(e.currentTarget.value)} />
              <button class="btn btn-small btn-primary" type="submit">
                {t('orders.ship')}
              </button>
            </form>
          ) : (
            <button class="btn btn-small btn-primary" onClick={() => setShipping(true)} data-testid="ship">
              {t('orders.markShipped')}
            </button>
          ))}
        {order.status === 'shipped' && (
          <button class="btn btn-small" onClick={() => run('deliver')}>
            {t('orders.markDelivered')}
          </button>
        )}
        {error !== null && <p class="form-error">{errorText(error)}</p>}
      </td>
    </tr>
  );
}
