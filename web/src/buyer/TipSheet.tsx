// 打赏: tip the room from the sandbox wallet; the tip shows in the room's chat for everyone.
import { useEffect, useState } from 'preact/hooks';
import { post, useAuth } from '../shared/api.ts';
import { formatMoney } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { AuthForm, errorText, Sheet, useSubmit } from '../shared/ui.tsx';
import { randomKey } from './checkout.ts';

const AMOUNTS = [100, 666, 888, 1888, 6666];

export function TipSheet({ open, sessionId, onClose, onTipped }: { open: boolean; sessionId: string; onClose(): void; onTipped(amount: number): void }) {
  const session = useAuth();
  const [amount, setAmount] = useState(AMOUNTS[1]);
  const [message, setMessage] = useState('');
  // One key per tip the buyer means to give: a retry of the same tip is never charged twice.
  const [key, setKey] = useState(randomKey);
  const { busy, error, setError, onSubmit } = useSubmit(async () => {
    await post(`/live-sessions/${sessionId}/tips`, { amount, ...(message.trim() ? { message: message.trim() } : {}) }, { 'idempotency-key': key });
    setKey(randomKey());
    setMessage('');
    onTipped(amount);
    onClose();
  });
  useEffect(() => {
    if (open) setError(null);
  }, [open]);

  return (
    <Sheet open={open} onClose={onClose} title={t('tip.title')} testId="tip-sheet">
      {!session.token ? (
        <AuthForm />
      ) : (
        <form onSubmit={onSubmit}>
          <p class="hint">{t('tip.hint')}</p>
          <fieldset>
            {AMOUNTS.map((a) => (
              <button
                type="button"
                key={a}
                class={a === amount ? 'chip chip-on' : 'chip'}
                aria-pressed={a === amount}
                onClick={() => {
                  setAmount(a);
                  setKey(randomKey());
                }}
              >
                {formatMoney(a)}
              </button>
            ))}
          </fieldset>
          <label>
            {t('tip.message')}
            <input
              name="tipMessage"
              maxLength={50}
              value={message}
              onInput={(e) => {
                setMessage(e.currentTarget.value);
                setKey(randomKey());
              }}
            />
          </label>
          {error !== null && (
            <p class="form-error" role="alert">
              {errorText(error)}
            </p>
          )}
          <button class="btn btn-primary btn-block btn-big" type="submit" disabled={busy} data-testid="send-tip">
            {t('tip.send', { amount: formatMoney(amount) })}
          </button>
        </form>
      )}
    </Sheet>
  );
}
