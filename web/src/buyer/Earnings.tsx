// What sharing and selling earned: commissions pending (until the return window has passed), settled,
// clawed back by refunds, paid out, and debts against the next payout; each order's commission; and the
// share links made, with the visits and orders each brought.
import { formatMoney, formatTime } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import type { Commission, CommissionPayout, Earnings as EarningsFigures, MyShareLink } from '../shared/types.ts';
import { CopyButton, Empty, Failure, Spinner } from '../shared/ui.tsx';
import { Link } from '../shared/router.tsx';
import { MePage, More, Stat, usePaged } from './MePage.tsx';

export function Earnings() {
  return (
    <MePage title={t('earnings.title')} testId="earnings-page">
      <EarningsBody />
    </MePage>
  );
}

const STATUS_TONE: Record<Commission['status'], string> = { pending: 'warn', settled: 'ok', clawed_back: 'muted' };
const PAYOUT_TONE: Record<CommissionPayout['status'], string> = { pending: 'warn', failed: 'bad', paid: 'ok' };

function EarningsBody() {
  const list = usePaged<Commission>('/me/earnings', 'commissions');
  const figures = list.extra?.earnings as EarningsFigures | undefined;
  if (!figures) return list.error ? <Failure error={list.error} onRetry={list.reload} /> : <Spinner />;
  return (
    <>
      <section class="card stats" data-testid="earnings">
        <Stat label={t('earnings.pending')} value={formatMoney(figures.pending)} testId="earnings-pending" tone="warn" />
        <Stat label={t('earnings.settled')} value={formatMoney(figures.settled)} testId="earnings-settled" tone="ok" />
        <Stat label={t('earnings.paidOut')} value={formatMoney(figures.paidOut)} testId="earnings-paid-out" />
        <Stat label={t('earnings.clawedBack')} value={formatMoney(figures.clawedBack)} testId="earnings-clawed-back" />
        {figures.adjustments > 0 && <Stat label={t('earnings.adjustments')} value={`−${formatMoney(figures.adjustments)}`} testId="earnings-adjustments" tone="bad" />}
      </section>
      <p class="hint">{t('earnings.howItWorks')}</p>
      <Payouts />
      <section class="card">
        <h2>{t('earnings.perOrder')}</h2>
        {list.items.length === 0 ? (
          <Empty icon="receipt" title={t('earnings.empty')} hint={t('earnings.emptyHint')}>
            <Link class="btn" href="/marketplace">
              {t('marketplace.title')}
            </Link>
          </Empty>
        ) : (
          <ul class="rows">
            {list.items.map((c) => (
              <li key={c.id} class="row-item" data-testid="commission" data-status={c.status}>
                <div class="row-main">
                  <p class="row-title">{c.productTitle}</p>
                  <p class="row-meta">
                    <span class="badge badge-info">{t(`earnings.roles.${c.role}`)}</span> {t('earnings.orderOf', { total: formatMoney(c.orderTotal) })} · {formatTime(c.createdAt)}
                  </p>
                  <p class="row-meta">
                    {c.status === 'settled' && c.settledAt
                      ? t('earnings.settledAt', { time: formatTime(c.settledAt) })
                      : c.status === 'pending'
                        ? c.settleAfter
                          ? t('earnings.settlesAfter', { time: formatTime(c.settleAfter) })
                          : t('earnings.settlesAfterDelivery')
                        : null}
                    {c.clawedBack > 0 && <> · {t('earnings.clawedBackAmount', { amount: formatMoney(c.clawedBack) })}</>}
                  </p>
                </div>
                <div class="row-side">
                  <strong class="row-amount">{formatMoney(c.amount)}</strong>
                  <span class={`badge badge-${STATUS_TONE[c.status]}`}>{t(`earnings.status.${c.status}`)}</span>
                </div>
              </li>
            ))}
          </ul>
        )}
        <More list={list} />
        {list.error !== null && list.items.length > 0 && <Failure error={list.error} onRetry={list.more} />}
      </section>
    </>
  );
}

/** Payouts into the wallet, shown once there is one: a failed transfer is said to be retried, not lost. */
function Payouts() {
  const list = usePaged<CommissionPayout>('/me/earnings/payouts', 'payouts');
  if (list.items.length === 0) return null;
  return (
    <section class="card" data-testid="payouts">
      <h2>{t('earnings.payouts')}</h2>
      <ul class="rows">
        {list.items.map((p) => (
          <li key={p.id} class="row-item" data-testid="payout" data-status={p.status}>
            <div class="row-main">
              <p class="row-meta">{p.status === 'paid' && p.paidAt ? t('earnings.payoutPaidAt', { time: formatTime(p.paidAt) }) : formatTime(p.createdAt)}</p>
            </div>
            <div class="row-side">
              <strong class="row-amount">{formatMoney(p.amount)}</strong>
              <span class={`badge badge-${PAYOUT_TONE[p.status]}`}>{t(`earnings.payoutStatus.${p.status}`)}</span>
            </div>
          </li>
        ))}
      </ul>
      <More list={list} />
    </section>
  );
}

export function MyShareLinks() {
  return (
    <MePage title={t('shares.title')} testId="share-links-page">
      <ShareLinksBody />
    </MePage>
  );
}

function ShareLinksBody() {
  const list = usePaged<MyShareLink>('/me/share-links', 'shareLinks');
  if (list.items.length === 0) {
    if (list.error) return <Failure error={list.error} onRetry={list.reload} />;
    if (list.loading) return <Spinner />;
    return <Empty icon="compass" title={t('shares.empty')} hint={t('shares.emptyHint')} />;
  }
  return (
    <section class="card">
      <ul class="rows">
        {list.items.map((l) => (
          <li key={l.id} class="row-item" data-testid="my-share-link">
            <div class="row-main">
              <p class="row-title">
                <span class="badge">{t(`shares.target.${l.target.type}`)}</span> {l.title}
              </p>
              <p class="row-meta">
                {t(`shares.channels.${l.channel}`)} · {formatTime(l.createdAt)}
              </p>
              <p class="row-figures">
                <span>{t('shares.visits', { n: l.visits })}</span>
                <span>{t('shares.orders', { n: l.orders })}</span>
                <span>{t('shares.gmv', { amount: formatMoney(l.gmv) })}</span>
              </p>
            </div>
            <div class="row-side">
              <CopyButton text={l.url} label={t('shares.link')} />
            </div>
          </li>
        ))}
      </ul>
      <More list={list} />
    </section>
  );
}
