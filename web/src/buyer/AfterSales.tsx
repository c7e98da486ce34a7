// After-sales on the buyer's order page: the order's requests with their status, deadline and history; asking for
// one (refund only, or return and refund; everything left, some items or an amount; a reason from the list, text
// and photo links); the return shipment once approved; taking a rejection to the platform once; and the order's
// shipping-return insurance (运费险) with the return shipping paid to the buyer.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post } from '../shared/api.ts';
import { formatMoney, formatTime, moneyInput, parseMoney } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import type { Order, Payout, Refund, RefundEvent, RefundReasonCode, RefundStatus, RefundType } from '../shared/types.ts';
import { errorText, refundNoteText, RefundStatusBadge, Sheet, useInterval, useResource, useSubmit } from '../shared/ui.tsx';
import { randomKey } from './checkout.ts';
import './AfterSales.css';

const REASON_CODES: RefundReasonCode[] = ['not_as_described', 'quality_issue', 'damaged', 'wrong_item', 'missing_item', 'not_received', 'no_longer_needed', 'other'];
/** Requests whose amount and items are set aside from what the order can still refund (as the server counts). */
const RESERVING: RefundStatus[] = ['requested', 'escalated', 'awaiting_return', 'return_shipped', 'refunding', 'refund_failed', 'refunded'];
/** Statuses that change without the buyer: watched until they settle. */
const MOVING: RefundStatus[] = ['refunding', 'requested', 'awaiting_return', 'return_shipped', 'escalated'];
const PAID: Order['status'][] = ['paid', 'shipped', 'delivered', 'completed'];

/** What the order can still give back: money, and units per SKU. */
function balanceOf(order: Order, refunds: Refund[]) {
  const open = refunds.filter((r) => RESERVING.includes(r.status));
  const claimed = new Map<string, number>();
  for (const r of open) for (const it of r.items) claimed.set(it.skuId, (claimed.get(it.skuId) ?? 0) + it.quantity);
  return {
    left: order.total - open.reduce((sum, r) => sum + r.amount, 0),
    unclaimed: (skuId: string) => order.items.filter((i) => i.skuId === skuId).reduce((n, i) => n + i.quantity, 0) - (claimed.get(skuId) ?? 0),
  };
}

export function AfterSales({ order, onOrderChanged }: { order: Order; onOrderChanged(): void }) {
  const refunds = useResource((signal) => get<{ refunds: Refund[] }>(`/orders/${order.id}/refunds?limit=200`, signal).then((r) => r.refunds), [order.id]);
  const [asking, setAsking] = useState(false);
  const list = refunds.data ?? [];
  // The shop, the platform and the payment service move requests on; look again while one may.
  useInterval(refunds.reload, list.some((r) => r.status === 'refunding') ? 1500 : 5000, list.some((r) => MOVING.includes(r.status)));
  // A refund that landed, or a return received, changed the order too (its refunded amount, its insurance payout).
  const settled = list.map((r) => `${r.id}:${r.status === 'refunded'}:${r.receivedAt !== null}`).join();
  const seen = useRef<string | null>(null);
  useEffect(() => {
    if (refunds.data === null) return;
    if (seen.current !== null && settled !== seen.current) onOrderChanged();
    seen.current = settled;
  }, [settled, refunds.data === null]);

  const balance = balanceOf(order, list);
  const canAsk = PAID.includes(order.status) && balance.left > 0;
  const changed = (r: Refund) => {
    refunds.setData(list.some((x) => x.id === r.id) ? list.map((x) => (x.id === r.id ? r : x)) : [r, ...list]);
  };

  return (
    <section class="card aftersales" data-testid="aftersales">
      <div class="order-head">
        <h2>{t('aftersales.title')}</h2>
        {canAsk && (
          <button class="btn btn-small btn-primary" onClick={() => setAsking(true)} data-testid="ask-aftersales">
            {t('aftersales.request')}
          </button>
        )}
      </div>
      {canAsk && list.length > 0 && <p class="muted">{t('aftersales.leftToRefund', { amount: formatMoney(balance.left, order.currency) })}</p>}
      {refunds.error !== null && refunds.data === null && <p class="form-error">{errorText(refunds.error)}</p>}
      <ul class="refund-list">
        {list.map((r) => (
          <RefundCard key={r.id} order={order} refund={r} onChanged={changed} />
        ))}
      </ul>
      <Sheet open={asking} onClose={() => setAsking(false)} title={t('aftersales.newTitle')} testId="aftersales-sheet">
        <RequestForm
          order={order}
          balance={balance}
          onDone={(r) => {
            setAsking(false);
            changed(r);
          }}
        />
      </Sheet>
    </section>
  );
}

type Scope = 'all' | 'items' | 'amount';

function RequestForm({ order, balance, onDone }: { order: Order; balance: ReturnType<typeof balanceOf>; onDone(r: Refund): void }) {
  // Goods never shipped cannot come back: a paid order is refunded only.
  const types: RefundType[] = order.status === 'paid' ? ['refund_only'] : ['refund_only', 'return_and_refund'];
  const [type, setType] = useState<RefundType>(types[types.length - 1]);
  const [scope, setScope] = useState<Scope>('all');
  const [units, setUnits] = useState<Record<string, number>>({});
  const [amount, setAmount] = useState(moneyInput(balance.left));
  const [reasonCode, setReasonCode] = useState<RefundReasonCode>(order.status === 'paid' ? 'no_longer_needed' : 'not_as_described');
  const [reason, setReason] = useState('');
  const [description, setDescription] = useState('');
  const [photos, setPhotos] = useState('');
  // One key per request shown: a retried submit (a dropped connection) cannot ask twice.
  const key = useRef(randomKey());
  const { busy, error, setError, run: send } = useSubmit(async (body: Record<string, unknown>) => {
    try {
      onDone((await post<{ refund: Refund }>(`/orders/${order.id}/refunds`, body, { 'idempotency-key': key.current })).refund);
    } catch (err) {
      // A refused request may be changed and sent again: that is another request.
      key.current = randomKey();
      throw err;
    }
  });

  const lines = order.items.filter((i, n) => order.items.findIndex((x) => x.skuId === i.skuId) === n);
  const submit = (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = { type, reasonCode, reason: reason.trim() };
    if (description.trim()) body.description = description.trim();
    const links = photos
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    if (links.length > 9 || links.some((l) => !/^https?:\/\/\S+$/.test(l))) return setError(t('aftersales.badPhotos'));
    if (links.length) body.photos = links;
    if (scope === 'items') {
      const items = Object.entries(units)
        .filter(([, q]) => q > 0)
        .map(([skuId, quantity]) => ({ skuId, quantity }));
      if (items.length === 0) return setError(t('aftersales.noneSelected'));
      body.items = items;
    }
    if (scope === 'amount') {
      const fen = parseMoney(amount);
      if (fen === null || fen < 1 || fen > balance.left) return setError(t('aftersales.badAmount'));
      body.amount = fen;
    }
    void send(body);
  };

  return (
    <form onSubmit={submit} class="aftersales-form">
      <fieldset>
        <legend>{t('aftersales.type')}</legend>
        {types.map((ty) => (
          <label key={ty} class={type === ty ? 'choice choice-on' : 'choice'}>
            <input type="radio" name="type" value={ty} checked={type === ty} onChange={() => setType(ty)} />
            <span>
              <strong>{t(`aftersales.types.${ty}`)}</strong>
              <small>{t(`aftersales.typeHints.${ty}`)}</small>
            </span>
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>{t('aftersales.scope')}</legend>
        {(['all', 'items', 'amount'] as const).map((s) => (
          <button key={s} type="button" class={scope === s ? 'chip chip-on' : 'chip'} aria-pressed={scope === s} onClick={() => setScope(s)}>
            {t(`aftersales.scopes.${s}`)}
          </button>
        ))}
        {scope === 'all' && <p class="muted">{t('aftersales.amountHint', { max: formatMoney(balance.left, order.currency) })}</p>}
        {scope === 'items' && (
          <ul class="refund-units">
            {lines.map((i) => {
              const max = balance.unclaimed(i.skuId);
              const n = units[i.skuId] ?? 0;
              const set = (q: number) => setUnits({ ...units, [i.skuId]: Math.max(0, Math.min(max, q)) });
              return (
                <li key={i.skuId} data-testid="refund-unit">
                  <span>
                    {i.title} <span class="muted">{i.skuName}</span>
                    <br />
                    <small class="muted">{formatMoney(i.price, order.currency)}</small>
                  </span>
                  <div class="stepper">
                    <button type="button" aria-label="−" disabled={n <= 0} onClick={() => set(n - 1)}>
                      −
                    </button>
                    <output>{n}</output>
                    <button type="button" aria-label="+" disabled={n >= max} onClick={() => set(n + 1)}>
                      +
                    </button>
                  </div>
                </li>
              );
            })}
          </ul>
        )}
        {scope === 'amount' && (
          <label>
            {t('aftersales.amount')}
            <input name="amount" inputMode="decimal" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} />
            <small>{t('aftersales.amountHint', { max: formatMoney(balance.left, order.currency) })}</small>
          </label>
        )}
      </fieldset>
      <label>
        {t('aftersales.reasonCode')}
        <select name="reasonCode" value={reasonCode} onChange={(e) => setReasonCode(e.currentTarget.value as RefundReasonCode)}>
          {REASON_CODES.map((c) => (
            <option key={c} value={c}>
              {t(`aftersales.reasons.${c}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('aftersales.reason')}
        <input name="reason" required maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <label>
        {t('aftersales.description')}
        <textarea name="description" maxLength={2000} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <label>
        {t('aftersales.photos')}
        <textarea name="photos" rows={2} value={photos} placeholder="https://…" onInput={(e) => setPhotos(e.currentTarget.value)} />
      </label>
      {error !== null && (
        <p class="form-error" role="alert">
          {errorText(error)}
        </p>
      )}
      <button class="btn btn-primary btn-block btn-big" type="submit" disabled={busy} data-testid="submit-aftersales">
        {busy ? t('common.wait') : t('aftersales.submit')}
      </button>
    </form>
  );
}

function RefundCard({ order, refund: r, onChanged }: { order: Order; refund: Refund; onChanged(r: Refund): void }) {
  const [open, setOpen] = useState(false);
  const title = (skuId: string) => order.items.find((i) => i.skuId === skuId)?.title ?? skuId;
  return (
    <li class="refund" data-testid="refund" data-status={r.status}>
      <div class="refund-head">
        <span>
          <strong>{t(`aftersales.types.${r.type}`)}</strong> · {formatMoney(r.amount, order.currency)}
        </span>
        <RefundStatusBadge status={r.status} />
      </div>
      {r.items.length > 0 && (
        <p class="muted">
          {r.items.map((it) => t('aftersales.itemLine', { title: title(it.skuId), n: it.quantity })).join('、')}
        </p>
      )}
      <p>
        {r.initiatedBy === 'merchant' ? <span class="badge badge-info">{t('aftersales.initiatedByShop')}</span> : <span class="badge">{t(`aftersales.reasons.${r.reasonCode}`)}</span>} {r.reason}
      </p>
      {r.description && <p class="muted pre">{r.description}</p>}
      {r.photos.length > 0 && <Photos urls={r.photos} />}
      {r.deadline && <p class="muted">{t(`aftersales.deadline.${r.deadline.action}`, { time: formatTime(r.deadline.at) })}</p>}
      {r.rejectionReason && r.status !== 'refunded' && <p class="banner banner-warn">{t('aftersales.rejectionReason', { reason: r.rejectionReason })}</p>}
      {r.escalation && <p class="muted">{t('aftersales.escalated', { time: formatTime(r.escalation.at), reason: r.escalation.reason })}</p>}
      {r.escalation?.decision && <p class="banner">{t(`aftersales.decision.${r.escalation.decision}`, { note: r.escalation.note ?? '' })}</p>}
      {r.returnShipment && <p>{t('aftersales.returnShipped', { carrier: r.returnShipment.carrier, tracking: r.returnShipment.trackingNumber })}</p>}
      {r.status === 'refund_failed' && <p class="banner banner-bad">{t('aftersales.failedHint')}</p>}
      {r.status === 'awaiting_return' && <ReturnShipmentForm refund={r} onChanged={onChanged} />}
      {r.status === 'rejected' && !r.escalation && <EscalateForm refund={r} onChanged={onChanged} />}
      <div class="actions">
        {['requested', 'rejected', 'escalated', 'awaiting_return'].includes(r.status) && (
          <RefundAction refund={r} action="cancel" label={t('aftersales.cancel')} onChanged={onChanged} />
        )}
        <button class="btn btn-small" type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? t('aftersales.hideHistory') : t('aftersales.showHistory')}
        </button>
      </div>
      {open && <RefundHistory refund={r} />}
    </li>
  );
}

export function Photos({ urls }: { urls: string[] }) {
  return (
    <div class="refund-photos">
      {urls.map((u) => (
        <a key={u} href={u} target="_blank" rel="noopener noreferrer">
          <img src={u} alt="" loading="lazy" referrerpolicy="no-referrer" onError={(e) => e.currentTarget.classList.add('broken')} />
        </a>
      ))}
    </div>
  );
}

/** A refund's steps, oldest first; the notes are the server's record (who acted, and why). */
export function RefundHistory({ refund }: { refund: Refund }) {
  const events = useResource((signal) => get<{ events: RefundEvent[] }>(`/refunds/${refund.id}/events`, signal).then((r) => r.events), [refund.id, refund.status]);
  return (
    <ol class="timeline" data-testid="refund-history">
      {(events.data ?? []).map((e, i) => (
        <li key={i}>
          <div class="history-line">
            <span>{t(`aftersales.statuses.${e.to}`)}</span>
            <span class="muted">{formatTime(e.at)}</span>
          </div>
          {e.note && <div class="muted small">{refundNoteText(e)}</div>}
        </li>
      ))}
    </ol>
  );
}

function RefundAction({ refund, action, label, onChanged }: { refund: Refund; action: string; label: string; onChanged(r: Refund): void }) {
  const { busy, error, run } = useSubmit(async () => onChanged((await post<{ refund: Refund }>(`/refunds/${refund.id}/${action}`)).refund));
  return (
    <>
      <button class="btn btn-small" type="button" disabled={busy} onClick={run}>
        {label}
      </button>
      {error !== null && <p class="form-error">{errorText(error)}</p>}
    </>
  );
}

function ReturnShipmentForm({ refund, onChanged }: { refund: Refund; onChanged(r: Refund): void }) {
  const [carrier, setCarrier] = useState('');
  const [tracking, setTracking] = useState('');
  const { error, onSubmit } = useSubmit(async () => onChanged((await post<{ refund: Refund }>(`/refunds/${refund.id}/return`, { carrier: carrier.trim(), trackingNumber: tracking.trim() })).refund));
  return (
    <form class="subform" onSubmit={onSubmit} data-testid="return-shipment">
      <h3>{t('aftersales.shipBack')}</h3>
      <div class="address">
        <label>
          {t('aftersales.carrier')}
          <input name="carrier" required maxLength={64} value={carrier} onInput={(e) => setCarrier(e.currentTarget.value)} />
        </label>
        <label>
          {t('aftersales.tracking')}
          <input name="trackingNumber" required maxLength={64} value={tracking} onInput={(e) => setTracking(e.currentTarget.value)} />
        </label>
      </div>
      {error !== null && <p class="form-error">{errorText(error)}</p>}
      <button class="btn btn-primary" type="submit">
        {t('aftersales.sendTracking')}
      </button>
    </form>
  );
}

function EscalateForm({ refund, onChanged }: { refund: Refund; onChanged(r: Refund): void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const { error, onSubmit } = useSubmit(async () => onChanged((await post<{ refund: Refund }>(`/refunds/${refund.id}/escalate`, { reason: reason.trim() })).refund));
  if (!open) {
    return (
      <button class="btn btn-small" type="button" onClick={() => setOpen(true)} data-testid="escalate">
        {t('aftersales.escalate')}
      </button>
    );
  }
  return (
    <form class="subform" onSubmit={onSubmit}>
      <p class="muted">{t('aftersales.escalateHint')}</p>
      <label>
        {t('aftersales.escalationReason')}
        <textarea name="escalationReason" required maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      {error !== null && <p class="form-error">{errorText(error)}</p>}
      <button class="btn btn-primary" type="submit">
        {t('aftersales.escalate')}
      </button>
    </form>
  );
}

/** The order's shipping-return insurance: the premium the shop paid, and the return shipping paid to the buyer. */
export function Insurance({ order }: { order: Order }) {
  const payouts = useResource(
    (signal) => (order.insurance?.payout ? get<{ payouts: Payout[] }>(`/me/payouts?orderId=${encodeURIComponent(order.id)}`, signal).then((r) => r.payouts) : Promise.resolve([])),
    [order.id, order.insurance?.payout],
  );
  useInterval(payouts.reload, 5000, (payouts.data ?? []).some((p) => p.status === 'pending'));
  if (!order.shippingInsurance && !order.insurance) return null;
  const paid = (payouts.data ?? []).find((p) => p.status === 'paid');
  return (
    <section class="card" data-testid="insurance">
      <h2>{t('aftersales.insurance')}</h2>
      <p class="muted">{t('aftersales.insured')}</p>
      {order.insurance && (
        <dl class="facts">
          <dt>{t('aftersales.premium')}</dt>
          <dd data-testid="insurance-premium">{formatMoney(order.insurance.premium, order.currency)}</dd>
          <dt>{t('aftersales.payout')}</dt>
          <dd data-testid="insurance-payout">{formatMoney(order.insurance.payout, order.currency)}</dd>
        </dl>
      )}
      {order.insurance && order.insurance.payout > 0 && payouts.data && (
        <p class="muted" data-testid="payout-status">
          {paid ? t('aftersales.payoutPaid', { time: formatTime(paid.paidAt) }) : t('aftersales.payoutPending')}
        </p>
      )}
    </section>
  );
}
