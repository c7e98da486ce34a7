// Operator pages: after-sales escalations to decide, limits for shops in trial, a shop's status, the chat
// sensitive-word list, the return shipping the insurance pays, whether boosts may be paid with money, the ledger's
// trial balance; and a link to the platform's analytics.
import { useState } from 'preact/hooks';
import { api, get, post } from '../shared/api.ts';
import { formatMoney, formatTime, moneyInput, parseMoney } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Link } from '../shared/router.tsx';
import type { Refund } from '../shared/types.ts';
import { errorText, Loaded, RefundStatusBadge, useResource, useSubmit } from '../shared/ui.tsx';
import { History } from './AfterSales.tsx';

export function Operator() {
  return (
    <>
      <header class="page-head">
        <h1>{t('operator.title')}</h1>
        <Link class="btn btn-small actions" href="/console/operator/analytics" data-testid="open-platform-analytics">
          {t('analyticsLinks.platform')}
        </Link>
      </header>
      <Escalations />
      <TrialLimits />
      <ShopStatus />
      <SensitiveWords />
      <ReturnShippingFees />
      <BoostMoney />
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
  return { message, run, fail: setMessage };
}

/** Boosts (加热) bought with money besides credits, and the price of 1,000 impressions. */
function BoostMoney() {
  const settings = useResource((signal) => get<{ moneyEnabled: boolean; pricePer1000: number }>('/admin/settings/boosts', signal), []);
  const [price, setPrice] = useState<string | null>(null);
  const [enabled, setEnabled] = useState<boolean | null>(null);
  const saving = useSaving();
  return (
    <section class="panel" data-testid="boost-settings">
      <h2>{t('operator.boosts')}</h2>
      <Loaded resource={settings}>
        {(b) => (
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              const pricePer1000 = parseMoney(price ?? moneyInput(b.pricePer1000));
              if (pricePer1000 === null || pricePer1000 < 1) return saving.fail(t('errors.invalid_request'));
              void saving.run(async () => settings.setData(await api<typeof b>('PUT', '/admin/settings/boosts', { body: { moneyEnabled: enabled ?? b.moneyEnabled, pricePer1000 } })));
            }}
          >
            <label class="inline">
              <input type="checkbox" style={{ width: 'auto', minHeight: 0 }} checked={enabled ?? b.moneyEnabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
              {t('operator.boostMoney')}
            </label>
            <label>
              {t('operator.boostPrice')} ({formatMoney(b.pricePer1000)})
              <input inputMode="decimal" value={price ?? moneyInput(b.pricePer1000)} onInput={(e) => setPrice(e.currentTarget.value)} />
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

/** Requests a buyer took to the platform after the shop rejected them: approve (refunded as the shop would) or reject, final. */
function Escalations() {
  const escalated = useResource((signal) => get<{ refunds: Refund[] }>('/admin/refunds?status=escalated&limit=100', signal).then((r) => r.refunds), []);
  return (
    <section class="panel" data-testid="escalations">
      <h2>{t('aftersales.escalations')}</h2>
      <Loaded resource={escalated}>
        {(list) =>
          list.length === 0 ? (
            <p class="muted">{t('aftersales.escalationsNone')}</p>
          ) : (
            <ul class="escalations">
              {list.map((r) => (
                <Escalation key={r.id} refund={r} onDecided={() => escalated.setData(list.filter((x) => x.id !== r.id))} />
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

function Escalation({ refund: r, onDecided }: { refund: Refund; onDecided(): void }) {
  const [note, setNote] = useState('');
  const [history, setHistory] = useState(false);
  const { error, run: decide } = useSubmit(async (decision: 'approve' | 'reject') => {
    await post(`/refunds/${r.id}/decide`, { decision, note: note.trim() });
    onDecided();
  });
  return (
    <li class="escalation" data-testid="escalation">
      <div class="panel-head">
        <strong>
          {t(`aftersales.types.${r.type}`)} · {formatMoney(r.amount)}
        </strong>
        <RefundStatusBadge status={r.status} />
      </div>
      <dl class="facts">
        <dt>{t('orders.order')}</dt>
        <dd class="mono">{r.orderId}</dd>
        <dt>{t('aftersales.reasonCode')}</dt>
        <dd>
          {t(`aftersales.reasons.${r.reasonCode}`)} — {r.reason}
        </dd>
        <dt>{t('aftersales.reject')}</dt>
        <dd>{r.rejectionReason}</dd>
        <dt>{t('aftersales.escalate')}</dt>
        <dd>
          {r.escalation?.reason} <span class="muted">{formatTime(r.escalation?.at ?? null)}</span>
        </dd>
      </dl>
      {r.photos.length > 0 && (
        <div class="photos">
          {r.photos.map((u) => (
            <a key={u} href={u} target="_blank" rel="noopener noreferrer">
              <img src={u} alt="" loading="lazy" referrerpolicy="no-referrer" onError={(e) => e.currentTarget.classList.add('broken')} />
            </a>
          ))}
        </div>
      )}
      <button class="btn btn-small" type="button" aria-expanded={history} onClick={() => setHistory(!history)}>
        {history ? t('aftersales.hideHistory') : t('aftersales.showHistory')}
      </button>
      {history && <History refund={r} />}
      <form class="row" onSubmit={(e) => e.preventDefault()}>
        <label class="grow">
          {t('aftersales.decisionNote')}
          <input name="decisionNote" required maxLength={500} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        </label>
        <button class="btn btn-primary" type="button" disabled={!note.trim()} onClick={() => decide('approve')}>
          {t('aftersales.approveEscalation')}
        </button>
        <button class="btn btn-danger" type="button" disabled={!note.trim()} onClick={() => decide('reject')}>
          {t('aftersales.rejectEscalation')}
        </button>
      </form>
      {error !== null && <p class="form-error">{errorText(error)}</p>}
    </li>
  );
}

interface ReturnShipping {
  flatFee: number;
  regions: { region: string; fee: number }[];
}

/** "region: fee" lines in major units ⇄ the fees. */
const regionLines = (regions: ReturnShipping['regions']) => regions.map((r) => `${r.region}: ${moneyInput(r.fee)}`).join('\n');
function parseRegionLines(text: string): ReturnShipping['regions'] | null {
  const regions: ReturnShipping['regions'] = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const at = Math.max(line.lastIndexOf(':'), line.lastIndexOf('：'));
    const fee = at > 0 ? parseMoney(line.slice(at + 1)) : null;
    const region = line.slice(0, Math.max(at, 0)).trim();
    if (fee === null || !region) return null;
    regions.push({ region, fee });
  }
  return regions;
}

function ReturnShippingFees() {
  const fees = useResource((signal) => get<{ returnShipping: ReturnShipping }>('/admin/settings/return-shipping', signal).then((r) => r.returnShipping), []);
  const [flat, setFlat] = useState<string | null>(null);
  const [lines, setLines] = useState<string | null>(null);
  const saving = useSaving();
  return (
    <section class="panel">
      <h2>{t('aftersales.returnShipping')}</h2>
      <Loaded resource={fees}>
        {(f) => (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const flatFee = parseMoney(flat ?? moneyInput(f.flatFee));
              const regions = parseRegionLines(lines ?? regionLines(f.regions));
              if (flatFee === null || regions === null) return void saving.fail(t('aftersales.badRegions'));
              void saving.run(async () => fees.setData((await api<{ returnShipping: ReturnShipping }>('PUT', '/admin/settings/return-shipping', { body: { flatFee, regions } })).returnShipping));
            }}
          >
            <label>
              {t('aftersales.flatFee')} ({formatMoney(f.flatFee)})
              <input name="flatFee" inputMode="decimal" value={flat ?? moneyInput(f.flatFee)} onInput={(e) => setFlat(e.currentTarget.value)} />
            </label>
            <label>
              {t('aftersales.regionFees')}
              <textarea name="regionFees" rows={4} value={lines ?? regionLines(f.regions)} onInput={(e) => setLines(e.currentTarget.value)} />
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
