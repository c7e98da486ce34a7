// Opening a shop, and the shop's page: status, the trial and its limits, today's figures.
import { useState } from 'preact/hooks';
import { get, post, query } from '../shared/api.ts';
import { formatMoney } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Link } from '../shared/router.tsx';
import type { Shop, ShopStats } from '../shared/types.ts';
import { errorText, useResource, useSubmit } from '../shared/ui.tsx';

export function NewShop({ onOpened, first }: { onOpened(shop: Shop): void; first?: boolean }) {
  const [name, setName] = useState('');
  const { busy, error, onSubmit } = useSubmit(async () => onOpened((await post<{ shop: Shop }>('/shops', { name: name.trim() })).shop));
  return (
    <section class="panel narrow">
      <h1>{first ? t('shop.welcome') : t('shop.open')}</h1>
      <p class="muted">{t('shop.openHint')}</p>
      <form onSubmit={onSubmit}>
        <label>
          {t('shop.name')}
          <input name="shopName" required maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        {error !== null && <p class="form-error">{errorText(error)}</p>}
        <button class="btn btn-primary" type="submit" disabled={busy}>
          {t('shop.open')}
        </button>
      </form>
    </section>
  );
}

export function ShopOverview({ shop }: { shop: Shop }) {
  const fresh = useResource((signal) => get<{ shop: Shop }>(`/shops/${shop.id}`, signal).then((r) => r.shop), [shop.id]);
  const startOfDay = new Date();
  startOfDay.setHours(0, 0, 0, 0);
  const today = useResource(
    (signal) => get<{ stats: ShopStats }>(`/shops/${shop.id}/stats${query({ from: startOfDay.toISOString() })}`, signal).then((r) => r.stats),
    [shop.id],
  );
  const s = fresh.data ?? shop;
  return (
    <>
      <header class="page-head">
        <h1 data-testid="shop-name">{s.name}</h1>
        <span class={`badge badge-${s.status === 'active' ? 'ok' : s.status === 'trial' ? 'info' : 'bad'}`} data-testid="shop-status">
          {t(`shop.status.${s.status}`)}
        </span>
      </header>
      {s.trial && (
        <section class="panel" data-testid="trial">
          <h2>{t('shop.trialTitle')}</h2>
          <p class="muted">{t('shop.trialHint')}</p>
          <div class="meter">
            <span style={{ width: `${Math.min(100, (s.trial.gmvUsed / Math.max(1, s.trial.gmvCap)) * 100)}%` }} />
          </div>
          <dl class="facts">
            <dt>{t('shop.gmvUsed')}</dt>
            <dd>
              {formatMoney(s.trial.gmvUsed)} / {formatMoney(s.trial.gmvCap)}
            </dd>
            <dt>{t('shop.payoutHold')}</dt>
            <dd>{t('shop.days', { n: s.trial.payoutHoldDays })}</dd>
          </dl>
        </section>
      )}
      {s.status === 'suspended' && <div class="banner banner-bad">{t('shop.suspended')}</div>}
      <section class="panel">
        <h2>{t('shop.today')}</h2>
        <div class="figures">
          <Figure label={t('figures.gmv')} value={today.data ? formatMoney(today.data.gmv, today.data.currency) : '—'} />
          <Figure label={t('figures.orders')} value={today.data ? String(today.data.orders) : '—'} />
          <Figure label={t('figures.buyers')} value={today.data ? String(today.data.buyers) : '—'} />
        </div>
      </section>
      <section class="panel">
        <h2>{t('shop.next')}</h2>
        <ol class="steps">
          <li>
            <Link href="/console/products">{t('shop.stepProducts')}</Link>
          </li>
          <li>
            <Link href="/console/live">{t('shop.stepLive')}</Link>
          </li>
          <li>
            <Link href="/console/orders">{t('shop.stepOrders')}</Link>
          </li>
        </ol>
        <p>
          <Link href="/console/new-shop">{t('shop.another')}</Link>
        </p>
      </section>
    </>
  );
}

export function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div class="figure" data-testid={testId}>
      <span class="figure-value">{value}</span>
      <span class="figure-label">{label}</span>
    </div>
  );
}
