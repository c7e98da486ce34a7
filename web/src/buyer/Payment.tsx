// Paying an order in the sandbox wallet (it stands in for WeChat Pay's sheet): open the payment, the
// buyer confirms, then the page waits for the provider's signed notification to mark the order paid.
import { useEffect, useState } from 'preact/hooks';
import { formatMoney } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import { Link } from '../shared/router.tsx';
import type { Order, Payment } from '../shared/types.ts';
import { errorText, Spinner } from '../shared/ui.tsx';
import { confirmInSandboxWallet, startPayment, waitForPayment } from './checkout.ts';

type Step = { kind: 'opening' } | { kind: 'wallet'; payment: Payment } | { kind: 'confirming' } | { kind: 'paid'; order: Order } | { kind: 'pending' } | { kind: 'closed'; order: Order };

export function PaymentPanel({ order, onPaid, onDone }: { order: Order; onPaid?: (order: Order) => void; onDone?: () => void }) {
  const [step, setStep] = useState<Step>({ kind: 'opening' });
  const [error, setError] = useState<unknown>(null);

  const open = async () => {
    setError(null);
    setStep({ kind: 'opening' });
    try {
      setStep({ kind: 'wallet', payment: await startPayment(order.id) });
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => void open(), [order.id]);

  const confirm = async (payment: Payment) => {
    setError(null);
    setStep({ kind: 'confirming' });
    try {
      await confirmInSandboxWallet(payment.id);
      const settled = await waitForPayment(order.id);
      if (settled.status === 'pending_payment') setStep({ kind: 'pending' });
      else if (settled.status === 'expired' || settled.status === 'cancelled') setStep({ kind: 'closed', order: settled });
      else {
        setStep({ kind: 'paid', order: settled });
        onPaid?.(settled);
      }
    } catch (err) {
      setError(err);
      setStep({ kind: 'wallet', payment });
    }
  };

  const orderLink = (
    <Link class="btn btn-block" href={`/orders/${order.id}`}>
      {t('checkout.viewOrder')}
    </Link>
  );

  return (
    <div class="payment" data-testid="payment" data-step={step.kind}>
      {step.kind === 'opening' && !error && <Spinner label={t('checkout.openingPayment')} />}
      {step.kind === 'wallet' && (
        <div class="wallet">
          <p class="wallet-brand">{t('checkout.walletName')}</p>
          <p class="wallet-amount">{formatMoney(step.payment.amount, order.currency)}</p>
          <p class="wallet-hint">{t('checkout.walletHint')}</p>
          <button class="btn btn-primary btn-block" data-testid="confirm-payment" onClick={() => confirm(step.payment)}>
            {t('checkout.confirmPayment')}
          </button>
        </div>
      )}
      {step.kind === 'confirming' && <Spinner label={t('checkout.waitingForPayment')} />}
      {step.kind === 'paid' && (
        <div class="result result-ok" role="status" data-testid="paid">
          <div class="result-icon"><Icon name="check" size={32} /></div>
          <p class="result-title">{t('checkout.paid')}</p>
          <p>{t('checkout.paidHint', { total: formatMoney(step.order.total, step.order.currency) })}</p>
          {orderLink}
          {onDone && (
            <button class="btn btn-primary btn-block" onClick={onDone} data-testid="payment-done">
              {/* a drop is only ever bought in a live room, which is still playing behind the sheet */}
              {step.order.dropId ? t('checkout.continue') : t('checkout.done')}
            </button>
          )}
        </div>
      )}
      {step.kind === 'pending' && (
        <div class="result result-warn" role="status" data-testid="payment-pending">
          <div class="result-icon"><Icon name="clock" size={32} /></div>
          <p class="result-title">{t('checkout.pendingTitle')}</p>
          <p>{t('checkout.pendingHint')}</p>
          {orderLink}
        </div>
      )}
      {step.kind === 'closed' && (
        <div class="result result-bad" role="status">
          <div class="result-icon"><Icon name="x" size={32} /></div>
          <p class="result-title">{t(`orderStatus.${step.order.status}`)}</p>
          <p>{t('checkout.closedHint')}</p>
        </div>
      )}
      {error !== null && (
        <div class="form-error" role="alert">
          <p>{errorText(error)}</p>
          {step.kind === 'opening' && (
            <button class="btn btn-small" onClick={open}>
              {t('common.retry')}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
