// Boosts (加热) as both apps show them: the sheet that buys impressions for a video or a live room (how many, for
// whom, for how long, paid with incentive credits or money), and the list of boosts with what was delivered of
// what was bought, and a way to stop one (what was not delivered comes back).
import { useState } from 'preact/hooks';
import { get, post } from './api.ts';
import { formatTime } from './format.ts';
import { language, t } from './i18n.ts';
import type { Boost, BoostAudience, Credits } from './types.ts';
import { Empty, errorText, Loaded, Sheet, useResource, useSubmit } from './ui.tsx';
import './Boosts.css';

export interface BoostTarget {
  type: 'video' | 'live';
  id: string;
  title: string;
  /** A video's topics: the interest audience starts from them. */
  topics?: string[];
}

const AUDIENCES = ['all', 'followers_friends', 'interest', 'region'] as const;
type AudienceKind = (typeof AUDIENCES)[number];
const IMPRESSION_CHOICES = [500, 1000, 5000, 10_000];
const HOUR_CHOICES = [6, 24, 72, 168];
export const MIN_IMPRESSIONS = 100;
export const MAX_IMPRESSIONS = 1_000_000;

/** A key for one purchase: the same sheet sending twice (a double tap, a retry after no answer) buys once. */
/** Credits to the unit (formatNumber shortens 10,000 to 1万). */
const exact = (n: number) => new Intl.NumberFormat(language()).format(n);

const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

export function BoostSheet({ target, onClose, onBought }: { target: BoostTarget; onClose(): void; onBought(boost: Boost): void }) {
  const credits = useResource((signal) => get<{ credits: Credits }>('/me/credits', signal).then((r) => r.credits), []);
  const [impressions, setImpressions] = useState(1000);
  const [audience, setAudience] = useState<AudienceKind>('all');
  const [topics, setTopics] = useState((target.topics ?? []).join(' '));
  const [region, setRegion] = useState('');
  const [hours, setHours] = useState(24);
  const [payWith, setPayWith] = useState<'credits' | 'money'>('credits');
  const [key] = useState(newKey);

  const balance = credits.data?.balance ?? null;
  const short = payWith === 'credits' && balance !== null && impressions > balance;
  const valid = Number.isInteger(impressions) && impressions >= MIN_IMPRESSIONS && impressions <= MAX_IMPRESSIONS && hours >= 1 && hours <= 168;

  const buy = useSubmit(async () => {
    let chosen: BoostAudience;
    if (audience === 'interest') {
      const list = topics
        .split(/[\s,，#]+/)
        .map((s) => s.trim())
        .filter(Boolean);
      if (list.length === 0) throw t('boosts.needTopics');
      chosen = { kind: 'interest', topics: list.slice(0, 10) };
    } else if (audience === 'region') {
      if (!region.trim()) throw t('boosts.needRegion');
      chosen = { kind: 'region', region: region.trim() };
    } else chosen = { kind: audience };
    const r = await post<{ boost: Boost }>('/boosts', { target: { type: target.type, id: target.id }, impressions, audience: chosen, hours, payWith }, { 'idempotency-key': key });
    onBought(r.boost);
  });

  return (
    <Sheet open onClose={onClose} title={t('boosts.title')} testId="boost-sheet">
      <form onSubmit={buy.onSubmit}>
        <p class="boost-target">{target.title}</p>
        <p class="hint" data-testid="boost-balance">
          {t('boosts.balance')}: <strong>{balance === null ? '…' : exact(balance)}</strong> <small>{t('boosts.creditRule')}</small>
        </p>
        <fieldset>
          <legend>{t('boosts.impressions')}</legend>
          <div class="filters">
            {IMPRESSION_CHOICES.map((n) => (
              <button key={n} type="button" class={impressions === n ? 'chip chip-on' : 'chip'} onClick={() => setImpressions(n)}>
                {exact(n)}
              </button>
            ))}
          </div>
          <input
            name="impressions"
            type="number"
            inputMode="numeric"
            min={MIN_IMPRESSIONS}
            max={MAX_IMPRESSIONS}
            step={1}
            required
            aria-label={t('boosts.impressions')}
            value={impressions}
            onInput={(e) => setImpressions(Number(e.currentTarget.value))}
          />
          <small class="muted">{t('boosts.impressionsHint', { min: exact(MIN_IMPRESSIONS), max: exact(MAX_IMPRESSIONS) })}</small>
        </fieldset>
        <fieldset>
          <legend>{t('boosts.audience')}</legend>
          <div class="filters" role="radiogroup" aria-label={t('boosts.audience')}>
            {AUDIENCES.map((a) => (
              <button key={a} type="button" role="radio" aria-checked={audience === a} class={audience === a ? 'chip chip-on' : 'chip'} data-audience={a} onClick={() => setAudience(a)}>
                {t(`boosts.audiences.${a}`)}
              </button>
            ))}
          </div>
          {audience === 'interest' && (
            <label>
              {t('boosts.topics')}
              <input name="topics" value={topics} placeholder={t('boosts.topicsHint')} onInput={(e) => setTopics(e.currentTarget.value)} />
            </label>
          )}
          {audience === 'region' && (
            <label>
              {t('boosts.region')}
              <input name="region" maxLength={64} value={region} placeholder={t('boosts.regionHint')} onInput={(e) => setRegion(e.currentTarget.value)} />
            </label>
          )}
        </fieldset>
        <fieldset>
          <legend>{t('boosts.hours')}</legend>
          <div class="filters">
            {HOUR_CHOICES.map((h) => (
              <button key={h} type="button" class={hours === h ? 'chip chip-on' : 'chip'} data-hours={h} onClick={() => setHours(h)}>
                {t('boosts.hoursValue', { n: h })}
              </button>
            ))}
          </div>
        </fieldset>
        <fieldset>
          <legend>{t('boosts.payWith')}</legend>
          <div class="filters">
            {(['credits', 'money'] as const).map((p) => (
              <button key={p} type="button" class={payWith === p ? 'chip chip-on' : 'chip'} data-pay={p} onClick={() => setPayWith(p)}>
                {t(`boosts.pay.${p}`)}
              </button>
            ))}
          </div>
          {payWith === 'money' && <small class="muted">{t('boosts.moneyHint')}</small>}
        </fieldset>
        {short && (
          <p class="banner banner-warn" role="status">
            {t('boosts.notEnough', { balance: exact(balance ?? 0) })}
          </p>
        )}
        {buy.error !== null && (
          <p class="form-error" role="alert">
            {errorText(buy.error)}
          </p>
        )}
        <button class="btn btn-primary btn-block" type="submit" disabled={buy.busy || short || !valid} data-testid="boost-buy">
          {buy.busy ? t('common.wait') : t('boosts.buy', { n: exact(valid ? impressions : 0) })}
        </button>
      </form>
    </Sheet>
  );
}

const TONE: Record<Boost['status'], string> = { active: 'ok', completed: 'info', cancelled: 'muted', expired: 'muted' };

export function audienceText(a: BoostAudience): string {
  if (a.kind === 'interest') return `${t('boosts.audiences.interest')}: ${a.topics.map((x) => `#${x}`).join(' ')}`;
  if (a.kind === 'region') return `${t('boosts.audiences.region')}: ${a.region}`;
  return t(`boosts.audiences.${a.kind}`);
}

/**
 * The boosts from `path` (GET /me/boosts or /shops/:shopId/boosts), newest first, each with delivered against
 * bought. `titles` names the targets the page knows; `round` changes to load again (after a purchase).
 */
export function BoostList({ path, titles, round = 0 }: { path: string; titles?: Record<string, string>; round?: number }) {
  const boosts = useResource((signal) => get<{ boosts: Boost[] }>(path, signal).then((r) => r.boosts), [path, round]);
  const cancel = useSubmit(async (id: string) => {
    if (!confirm(t('boosts.confirmCancel'))) return;
    await post(`/boosts/${encodeURIComponent(id)}/cancel`);
    boosts.reload();
  });
  return (
    <section class="boosts" data-testid="boost-list">
      <h2>{t('boosts.mine')}</h2>
      {cancel.error !== null && (
        <p class="form-error" role="alert">
          {errorText(cancel.error)}
        </p>
      )}
      <Loaded resource={boosts}>
        {(list) =>
          list.length === 0 ? (
            <Empty icon="eye" title={t('boosts.empty')} hint={t('boosts.emptyHint')} />
          ) : (
            <ul class="boost-rows">
              {list.map((b) => {
                const share = b.bought > 0 ? Math.min(1, b.delivered / b.bought) : 0;
                const title = b.target.title ?? titles?.[`${b.target.type}:${b.target.id}`] ?? t(`boosts.targets.${b.target.type}`);
                return (
                  <li key={b.id} class="boost-row" data-testid="boost" data-boost-id={b.id} data-status={b.status} data-target-id={b.target.id}>
                    <div class="boost-head">
                      <strong class="boost-title">{title}</strong>
                      <span class={`badge badge-${TONE[b.status] ?? 'muted'}`}>{t(`boosts.statuses.${b.status}`)}</span>
                    </div>
                    <div class="boost-bar" role="progressbar" aria-valuemin={0} aria-valuemax={b.bought} aria-valuenow={b.delivered} aria-label={t('boosts.delivered')}>
                      <span style={{ width: `${share * 100}%` }} />
                    </div>
                    <p class="boost-figures" data-testid="boost-figures">
                      {t('boosts.progress', { delivered: exact(b.delivered), bought: exact(b.bought) })}
                      {b.refunded > 0 && <> · {t('boosts.refunded', { n: exact(b.refunded) })}</>}
                    </p>
                    <p class="muted boost-meta">
                      {audienceText(b.audience)} · {t(`boosts.pay.${b.payWith}`)} · {b.status === 'active' ? t('boosts.until', { time: formatTime(b.endAt) }) : formatTime(b.createdAt)}
                    </p>
                    {b.status === 'active' && (
                      <button class="btn btn-small" disabled={cancel.busy} onClick={() => void cancel.run(b.id)} data-testid="boost-cancel">
                        {t('boosts.cancel')}
                      </button>
                    )}
                  </li>
                );
              })}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

/** The 加热 button and its sheet; `onBought` after a purchase (the page reloads its list). */
export function BoostButton({ target, onBought, class: className = 'btn btn-small' }: { target: BoostTarget; onBought(boost: Boost): void; class?: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" class={className} onClick={() => setOpen(true)} data-testid="boost-open">
        {t('boosts.action')}
      </button>
      {open && (
        <BoostSheet
          target={target}
          onClose={() => setOpen(false)}
          onBought={(b) => {
            setOpen(false);
            onBought(b);
          }}
        />
      )}
    </>
  );
}
