// Operator pages: limits for shops in trial, a shop's status, the chat sensitive-word list, the ledger's trial balance.
import { useState } from 'preact/hooks';
import { api, get, post } from '../shared/api.ts';
import { formatMoney, moneyInput, parseMoney } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { errorText, Loaded, useResource } from '../shared/ui.tsx';

export function Operator() {
  return (
    <>
      <header class="page-head">
        <h1>{t('operator.title')}</h1>
      </header>
      <TrialLimits />
      <ShopStatus />
      <SensitiveWords />
      <TrialBalance />
    </>
  );
}

function useSaving() {
  const [message, setMessage] = useState<string | null>(null);
  const run = async (fn: () => Promise<unknown>) => {
    setMessage(null);
    try {
      await fn();
      setMessage(t('common.saved'));
    } catch (err) {
      setMessage(errorText(err));
    }
  };
  return { message, run };
}

function TrialLimits() {
  const limits = useResource((signal) => get<{ trial: { gmvCap: number; payoutHoldDays: number } }>('/admin/settings/trial', signal).then((r) => r.trial), []);
  const [cap, setCap] = useState<string | null>(null);
  const [hold, setHold] = useState<string | null>(null);
  const saving = useSaving();
  return (
    <section class="panel">
      <h2>{t('operator.trialLimits')}</h2>
      <Loaded resource={limits}>
        {(l) => (
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              const gmvCap = parseMoney(cap ?? moneyInput(l.gmvCap));
              if (gmvCap === null) return;
              void saving.run(async () => limits.setData((await api<{ trial: typeof l }>('PUT', '/admin/settings/trial', { body: { gmvCap, payoutHoldDays: Number(hold ?? l.payoutHoldDays) } })).trial));
            }}
          >
            <label>
              {t('operator.gmvCap')} ({formatMoney(l.gmvCap)})
              <input inputMode="decimal" value={cap ?? moneyInput(l.gmvCap)} onInput={(e) => setCap(e.currentTarget.value)} />
            </label>
            <label>
              {t('shop.payoutHold')}
              <input type="number" min={0} max={365} value={hold ?? l.payoutHoldDays} onInput={(e) => setHold(e.currentTarget.value)} />
            </label>
            <button class="btn btn-primary" type="submit">
              {t('common.save')}
            </button>
            {saving.message && <p class="muted">{saving.message}</p>}
          </form>
        )}
      </Loaded>
    </section>
  );
}

function ShopStatus() {
  const [shopId, setShopId] = useState('');
  const [status, setStatus] = useState('active');
  const [reason, setReason] = useState('');
  const saving = useSaving();
  return (
    <section class="panel">
      <h2>{t('operator.shopStatus')}</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void saving.run(() => post(`/shops/${encodeURIComponent(shopId.trim())}/status`, { status, ...(reason.trim() ? { reason: reason.trim() } : {}) }));
        }}
      >
        <label class="grow">
          {t('operator.shopId')}
          <input required class="mono" value={shopId} onInput={(e) => setShopId(e.currentTarget.value)} />
        </label>
        <label>
          {t('live.status')}
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            {(['trial', 'active', 'suspended'] as const).map((s) => (
              <option key={s} value={s}>
                {t(`shop.status.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label class="grow">
          {t('operator.reason')}
          <input maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
        <button class="btn btn-primary" type="submit">
          {t('common.save')}
        </button>
      </form>
      {saving.message && <p class="muted">{saving.message}</p>}
    </section>
  );
}

function SensitiveWords() {
  const words = useResource((signal) => get<{ words: string[] }>('/admin/moderation/words', signal).then((r) => r.words), []);
  const [text, setText] = useState<string | null>(null);
  const saving = useSaving();
  return (
    <section class="panel">
      <h2>{t('operator.words')}</h2>
      <p class="muted">{t('operator.wordsHint')}</p>
      <Loaded resource={words}>
        {(list) => (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const next = (text ?? list.join('\n'))
                .split('\n')
                .map((w) => w.trim())
                .filter(Boolean);
              void saving.run(async () => words.setData((await api<{ words: string[] }>('PUT', '/admin/moderation/words', { body: { words: next } })).words));
            }}
          >
            <textarea rows={6} value={text ?? list.join('\n')} onInput={(e) => setText(e.currentTarget.value)} />
            <button class="btn btn-primary" type="submit">
              {t('common.save')}
            </button>
            {saving.message && <p class="muted">{saving.message}</p>}
          </form>
        )}
      </Loaded>
    </section>
  );
}

function TrialBalance() {
  const balance = useResource((signal) => get<{ accounts: { account: string; balance: number }[]; total: number }>('/admin/ledger/trial-balance', signal), []);
  return (
    <section class="panel">
      <h2>{t('operator.trialBalance')}</h2>
      <Loaded resource={balance}>
        {(b) => (
          <table class="table">
            <tbody>
              {b.accounts.map((a) => (
                <tr key={a.account}>
                  <td class="mono">{a.account}</td>
                  <td>{formatMoney(a.balance)}</td>
                </tr>
              ))}
              <tr>
                <th>{t('operator.total')}</th>
                <th>{formatMoney(b.total)}</th>
              </tr>
            </tbody>
          </table>
        )}
      </Loaded>
    </section>
  );
}
