// The buy sheet, opened from the room's drop card or a product page without leaving it: SKU, quantity,
// address, then payment in the sandbox wallet.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, useAuth } from '../shared/api.ts';
import { formatMoney } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import type { Address, Drop, Order, Sku } from '../shared/types.ts';
import { AuthForm, errorText, Sheet, useSubmit } from '../shared/ui.tsx';
import type { Source } from './analytics-events.ts';
import { IdempotencyKeys, placeDropOrder, saveAddress, savedAddress, type OrderRequest } from './checkout.ts';
import { PaymentPanel } from './Payment.tsx';
import { forgetShareToken, shareForOrder } from './sharing.ts';
import './sharing.css';

export interface BuyTarget {
  title: string;
  skus: Sku[];
  /** Buying through a drop: its price, remaining units and limit apply. */
  drop?: Drop;
  /** Bought from a short video's product card: the order records the video. */
  videoId?: string;
  /** Bought in a live room (its product card, a drop there): the order counts in the session's figures. */
  liveSessionId?: string;
  /** Where the buyer came from, for the shop's analytics. */
  source?: Source;
}

const keys = new IdempotencyKeys();

export function BuySheet({ open, target, onClose, onPaid }: { open: boolean; target: BuyTarget; onClose(): void; onPaid?: (order: Order) => void }) {
  const session = useAuth();
  const { drop } = target;
  const [skuId, setSkuId] = useState(drop?.skuId ?? target.skus.find((s) => s.available > 0)?.id ?? target.skus[0]?.id);
  const [quantity, setQuantity] = useState(1);
  const [address, setAddress] = useState<Address>(savedAddress);
  const [insured, setInsured] = useState(false);
  const [order, setOrder] = useState<Order | null>(null);
  const sku = target.skus.find((s) => s.id === skuId);
  const { busy, error, setError, onSubmit } = useSubmit(async () => {
    if (!skuId) return;
    const cleanAddress = { name: address.name.trim(), phone: address.phone.trim(), line1: address.line1.trim(), city: address.city.trim() };
    const body: OrderRequest = {
      items: [{ skuId, quantity }],
      ...(drop ? { dropId: drop.id } : {}),
      ...(target.videoId ? { videoId: target.videoId } : {}),
      ...(target.liveSessionId ? { liveSessionId: target.liveSessionId } : {}),
      ...(target.source ? { source: target.source } : {}),
      ...(insured ? { shippingInsurance: true } : {}),
      address: cleanAddress,
    };
    // Came through a share link of this product or room: the order carries it, so the sharer is credited.
    const share = shareForOrder(drop?.productId ?? sku?.productId, drop?.liveSessionId ?? target.liveSessionId, target.videoId);
    saveAddress(cleanAddress);
    let placed: Order;
    try {
      const shared = share ? { ...body, shareToken: share.token } : body;
      placed = await placeDropOrder(shared, keys.for(shared), drop);
    } catch (err) {
      // A share link the server refuses must not stop the purchase: buy without it.
      if (!(share && err instanceof ApiError && err.status === 400)) throw err;
      placed = await placeDropOrder(body, keys.for(body), drop);
      forgetShareToken(share.target);
    }
    keys.done();
    setOrder(placed);
  });

  // A new opening is a new purchase.
  useEffect(() => {
    if (!open) return;
    setOrder(null);
    setError(null);
    setQuantity(1);
  }, [open]);

  const unitPrice = drop ? drop.price : (sku?.price ?? 0);
  const maxQuantity = useMemo(() => {
    if (drop) return Math.max(0, Math.min(drop.remaining, drop.perBuyerLimit ?? 999));
    return Math.max(0, Math.min(sku?.available ?? 0, 999));
  }, [drop, sku]);
  const soldOut = maxQuantity === 0 || (error instanceof ApiError && error.code === 'sold_out');

  const field = (name: keyof Address, props: Record<string, unknown> = {}) => (
    <label>
      {t(`checkout.address.${name as 'name'}`)}
      <input name={name} required value={address[name] ?? ''} onInput={(e) => setAddress({ ...address, [name]: e.currentTarget.value })} {...props} />
    </label>
  );

  return (
    <Sheet open={open} onClose={onClose} title={order ? t('checkout.payTitle') : target.title} testId="buy-sheet">
      {!session.token ? (
        <div>
          <p class="hint">{t(drop ? 'checkout.signInToBuy' : 'checkout.signInHere')}</p>
          <AuthForm />
        </div>
      ) : order ? (
        <PaymentPanel order={order} onPaid={onPaid} onDone={onClose} />
      ) : (
        <form class="buy-form" onSubmit={onSubmit}>
          {drop ? (
            <p class="buy-sku">
              {drop.skuName} · <strong>{formatMoney(drop.price)}</strong>
              {drop.originalPrice > drop.price && <s class="muted"> {formatMoney(drop.originalPrice)}</s>}
            </p>
          ) : (
            <fieldset class="sku-choices">
              <legend>{t('checkout.sku')}</legend>
              {target.skus.map((s) => (
                <button
                  type="button"
                  key={s.id}
                  class={s.id === skuId ? 'chip chip-on' : 'chip'}
                  disabled={s.available === 0}
                  aria-pressed={s.id === skuId}
                  onClick={() => {
                    setSkuId(s.id);
                    setQuantity(1);
                  }}
                >
                  {s.name} · {formatMoney(s.price)}
                  {s.available === 0 && ` · ${t('product.soldOut')}`}
                </button>
              ))}
            </fieldset>
          )}
          <div class="quantity">
            <span>{t('checkout.quantity')}</span>
            <div class="stepper">
              <button type="button" aria-label="−" disabled={quantity <= 1} onClick={() => setQuantity(quantity - 1)}>
                −
              </button>
              <output data-testid="quantity">{quantity}</output>
              <button type="button" aria-label="+" disabled={quantity >= maxQuantity} onClick={() => setQuantity(quantity + 1)}>
                +
              </button>
            </div>
            {drop?.perBuyerLimit && <small class="muted">{t('checkout.limit', { n: drop.perBuyerLimit })}</small>}
          </div>
          <fieldset class="address">
            <legend>{t('checkout.addressTitle')}</legend>
            {field('name', { autocomplete: 'name', maxLength: 64 })}
            {/* Browsers compile `pattern` with the v flag, where ( ) and - in a class must be escaped. */}
            {field('phone', { autocomplete: 'tel', inputMode: 'tel', pattern: '[0-9+\\(\\)\\- ]{3,32}' })}
            {field('line1', { autocomplete: 'street-address', maxLength: 200 })}
            {field('city', { autocomplete: 'address-level2', maxLength: 64 })}
          </fieldset>
          <label class="check">
            <input type="checkbox" name="shippingInsurance" checked={insured} onChange={(e) => setInsured(e.currentTarget.checked)} />
            <span>
              {t('checkout.insurance')}
              <small class="muted">{t('checkout.insuranceHint')}</small>
            </span>
          </label>
          {soldOut ? (
            <div class="result result-bad" role="alert" data-testid="sold-out">
              <div class="result-icon"><Icon name="ban" size={32} /></div>
              <p class="result-title">{t('checkout.soldOutTitle')}</p>
              <p>{t('checkout.soldOutHint')}</p>
            </div>
          ) : (
            error !== null && (
              <p class="form-error" role="alert">
                {errorText(error)}
              </p>
            )
          )}
          <button class="btn btn-primary btn-block btn-big" type="submit" disabled={busy || soldOut} data-testid="place-order">
            {busy ? t('common.wait') : t('checkout.pay', { total: formatMoney(unitPrice * quantity) })}
          </button>
        </form>
      )}
    </Sheet>
  );
}
