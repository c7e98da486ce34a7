// The influencer centre (达人中心): become an influencer, the tier and the trailing 30-day figures it comes
// from, what is missing for the next tier, what the tier allows, the showcase (橱窗); the invitations group
// leaders sent; and the monthly incentive credits (电商卡).
import { useState } from 'preact/hooks';
import { ApiError, api, get, post } from '../shared/api.ts';
import { formatBps, formatRatio } from '../shared/commission.ts';
import { formatMoney, formatNumber, formatTime } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import { Link } from '../shared/router.tsx';
import type { Credits as CreditsData, Influencer, Invitation, ShowcaseItem, TierRequirement } from '../shared/types.ts';
import { CopyButton, Empty, errorText, Loaded, useResource, useSubmit } from '../shared/ui.tsx';
import { MePage, refusalText, Stat, TierBadge } from './MePage.tsx';

/** GET that answers null for 404 (no profile yet). */
async function getOrNull<T>(path: string, signal: AbortSignal): Promise<{ value: T | null }> {
  try {
    return { value: await get<T>(path, signal) };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { value: null };
    throw err;
  }
}

export function InfluencerCenter() {
  return (
    <MePage title={t('influencer.title')} testId="influencer-page">
      <InfluencerBody />
    </MePage>
  );
}

function InfluencerBody() {
  const me = useResource((signal) => getOrNull<{ influencer: Influencer }>('/me/influencer', signal), []);
  return (
    <Loaded resource={me}>
      {({ value }) =>
        value ? <Profile influencer={value.influencer} onChange={(influencer) => me.setData({ value: { influencer } })} /> : <BecomeInfluencer onDone={(influencer) => me.setData({ value: { influencer } })} />
      }
    </Loaded>
  );
}

function BecomeInfluencer({ onDone }: { onDone(influencer: Influencer): void }) {
  const [bio, setBio] = useState('');
  const { busy, error, onSubmit } = useSubmit(async () => onDone((await post<{ influencer: Influencer }>('/me/influencer', bio.trim() ? { bio: bio.trim() } : {})).influencer));
  return (
    <form class="card" onSubmit={onSubmit} data-testid="become-influencer">
      <h2>{t('influencer.become')}</h2>
      <p class="hint">{t('influencer.becomeHint')}</p>
      <label>
        {t('influencer.bio')}
        <textarea name="bio" maxLength={500} value={bio} onInput={(e) => setBio(e.currentTarget.value)} />
      </label>
      {error !== null && (
        <p class="form-error" role="alert">
          {errorText(error)}
        </p>
      )}
      <button class="btn btn-primary btn-block" disabled={busy}>
        {busy ? t('common.wait') : t('influencer.becomeButton')}
      </button>
    </form>
  );
}

const PERMISSIONS = ['showcase', 'liveSharing', 'videoSharing'] as const;

/** What the next tier asks that the trailing figures do not reach, in the reader's language. */
function requirementText({ metric, have, need }: TierRequirement): string {
  switch (metric) {
    case 'gmv':
      return t('influencer.requirement.gmv', { have: formatMoney(have), need: formatMoney(need), gap: formatMoney(need - have) });
    case 'orders':
      return t('influencer.requirement.orders', { have: formatNumber(have), need: formatNumber(need), gap: formatNumber(need - have) });
    case 'refundRate':
      // `need` is the most the tier allows
      return t('influencer.requirement.refundRate', { have: formatRatio(have), need: formatRatio(need) });
  }
}

function Profile({ influencer, onChange }: { influencer: Influencer; onChange(influencer: Influencer): void }) {
  const { busy, error, run: recompute } = useSubmit(async () => onChange((await post<{ influencer: Influencer }>('/me/influencer/tier')).influencer));
  const { metrics, nextTier, permissions } = influencer;
  return (
    <>
      <section class="card profile" data-testid="influencer-profile">
        <div class="profile-head">
          <div>
            <p class="row-title">{influencer.displayName || influencer.handle}</p>
            <p class="muted">@{influencer.handle}</p>
          </div>
          <TierBadge tier={influencer.tier} />
        </div>
        {influencer.bio && <p>{influencer.bio}</p>}
        <p class="row-meta">{influencer.tierComputedAt ? t('influencer.computedAt', { time: formatTime(influencer.tierComputedAt) }) : t('influencer.notComputed')}</p>
        <button class="btn btn-small" onClick={recompute} disabled={busy} data-testid="recompute-tier">
          {busy ? t('common.wait') : t('influencer.recompute')}
        </button>
        {error !== null && (
          <p class="form-error" role="alert">
            {errorText(error)}
          </p>
        )}
      </section>
      <section class="card">
        <h2>{t('influencer.last30')}</h2>
        <div class="stats">
          <Stat label={t('figures.gmv')} value={formatMoney(metrics.gmv)} />
          <Stat label={t('figures.orders')} value={formatNumber(metrics.orders)} />
          <Stat label={t('influencer.refundRate')} value={formatRatio(metrics.refundRate)} />
        </div>
        {nextTier ? (
          <div class="next-tier" data-testid="next-tier">
            <p>
              {t('influencer.nextTier')} <TierBadge tier={nextTier.tier} />
            </p>
            {nextTier.requirements.length > 0 ? (
              <ul>
                {nextTier.requirements.map((r) => (
                  <li key={r.metric} data-metric={r.metric}>
                    {requirementText(r)}
                  </li>
                ))}
              </ul>
            ) : (
              <p class="hint">{t('influencer.nextTierMet')}</p>
            )}
          </div>
        ) : (
          <p class="hint">{t('influencer.topTier')}</p>
        )}
      </section>
      <section class="card">
        <h2>{t('influencer.permissions')}</h2>
        <ul class="permissions" data-testid="permissions">
          {PERMISSIONS.map((p) => (
            <li key={p} class={permissions[p] ? 'allowed' : 'locked'} data-permission={p} data-allowed={String(permissions[p])}>
              <Icon name={permissions[p] ? 'check' : 'lock'} size={18} />
              <span>{t(`influencer.permission.${p}`)}</span>
              <small class="muted">{permissions[p] ? t('influencer.allowed') : t('influencer.locked')}</small>
            </li>
          ))}
        </ul>
      </section>
      <Showcase />
      <section class="card menu">
        <Link href="/me/invitations">{t('invitations.title')}</Link>
        <Link href="/me/credits">{t('credits.title')}</Link>
        <Link href={`/u/${influencer.userId}`}>{t('influencer.publicPage')}</Link>
      </section>
    </>
  );
}

function Showcase() {
  const items = useResource((signal) => get<{ items: ShowcaseItem[] }>('/me/showcase', signal).then((r) => r.items), []);
  const { error, run: remove } = useSubmit(async (offerId: string) => {
    await api('DELETE', `/me/showcase/${offerId}`);
    items.reload();
  });
  return (
    <section class="card" data-testid="showcase">
      <div class="section-head">
        <h2>{t('influencer.showcase')}</h2>
        <Link class="btn btn-small" href="/marketplace">
          {t('marketplace.title')}
        </Link>
      </div>
      {error !== null && (
        <p class="form-error" role="alert">
          {errorText(error)}
        </p>
      )}
      <Loaded resource={items}>
        {(list) =>
          list.length === 0 ? (
            <Empty icon="bag" title={t('influencer.showcaseEmpty')} hint={t('influencer.showcaseEmptyHint')} />
          ) : (
            <ul class="rows">
              {list.map((item) => (
                <li key={item.offer.id} class="row-item" data-testid="showcase-item">
                  <div class="row-main">
                    <Link class="row-title" href={`/p/${item.offer.productId}`}>
                      {item.offer.title}
                    </Link>
                    <p class="row-meta">
                      {item.offer.shopName} · {formatMoney(item.offer.price)} · {t('marketplace.commission', { rate: formatBps(item.offer.commissionBps) })}
                    </p>
                    {item.leaderId && <p class="row-meta">{t('influencer.viaLeader')}</p>}
                  </div>
                  <button class="btn btn-small" onClick={() => remove(item.offer.id)}>
                    {t('influencer.remove')}
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

/** An influencer's public page: who they are and what their showcase holds. */
export function InfluencerPage({ userId }: { userId: string }) {
  const page = useResource((signal) => get<{ influencer: Pick<Influencer, 'userId' | 'handle' | 'displayName' | 'bio' | 'tier'>; showcase: ShowcaseItem[] }>(`/influencers/${userId}`, signal), [userId]);
  return (
    <main class="page me-page">
      <Loaded resource={page}>
        {({ influencer, showcase }) => (
          <>
            <section class="card profile">
              <div class="profile-head">
                <div>
                  <h1 class="page-title">{influencer.displayName || influencer.handle}</h1>
                  <p class="muted">@{influencer.handle}</p>
                </div>
                <TierBadge tier={influencer.tier} />
              </div>
              {influencer.bio && <p>{influencer.bio}</p>}
              <p class="row-meta">
                {t('influencer.handleForInvites')} <span class="mono">@{influencer.handle}</span> <CopyButton text={`@${influencer.handle}`} label={t('influencer.handleForInvites')} />
              </p>
            </section>
            <section class="card">
              <h2>{t('influencer.showcase')}</h2>
              {showcase.length === 0 ? (
                <Empty icon="bag" title={t('influencer.showcaseEmpty')} />
              ) : (
                <ul class="offer-grid">
                  {showcase.map((item) => (
                    <li key={item.offer.id}>
                      <Link class="offer-card" href={`/p/${item.offer.productId}`}>
                        {item.offer.image ? <img src={item.offer.image} alt="" /> : <div class="offer-image-none"><Icon name="bag" size={36} /></div>}
                        <span class="offer-title">{item.offer.title}</span>
                        <strong class="offer-price">{formatMoney(item.offer.price)}</strong>
                      </Link>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          </>
        )}
      </Loaded>
    </main>
  );
}

export function Credits() {
  return (
    <MePage title={t('credits.title')} testId="credits-page">
      <CreditsBody />
    </MePage>
  );
}

function CreditsBody() {
  const credits = useResource((signal) => get<{ credits: CreditsData }>('/me/credits', signal).then((r) => r.credits), []);
  return (
    <Loaded resource={credits}>
      {(c) => (
        <>
          <section class="card stats">
            <Stat label={t('credits.balance')} value={formatNumber(c.balance)} testId="credits-balance" />
            {c.spent !== undefined && <Stat label={t('credits.spent')} value={formatNumber(c.spent)} testId="credits-spent" />}
            {c.refunded !== undefined && c.refunded > 0 && <Stat label={t('credits.refunded')} value={formatNumber(c.refunded)} />}
          </section>
          <p class="hint">{t('credits.hint')}</p>
          <Link class="btn btn-small" href="/me/videos">
            {t('credits.boost')}
          </Link>
          <section class="card">
            <h2>{t('credits.grants')}</h2>
            {c.grants.length === 0 ? (
              <Empty icon="gift" title={t('credits.empty')} />
            ) : (
              <ul class="rows">
                {c.grants.map((g) => (
                  <li key={g.month} class="row-item">
                    <div class="row-main">
                      <p class="row-title">{g.month}</p>
                    </div>
                    <TierBadge tier={g.tier} />
                    <strong class="row-amount">+{formatNumber(g.amount)}</strong>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </Loaded>
  );
}

export function Invitations() {
  return (
    <MePage title={t('invitations.title')} testId="invitations-page">
      <InvitationsBody />
    </MePage>
  );
}

const INVITATION_TONE: Record<Invitation['status'], string> = { pending: 'warn', accepted: 'ok', declined: 'muted' };

export function InvitationRow({ invitation, mine, onAnswer }: { invitation: Invitation; mine: 'received' | 'sent'; onAnswer?: (id: string, answer: 'accept' | 'decline') => void }) {
  const { offer } = invitation;
  return (
    <li class="row-item" data-testid="invitation" data-status={invitation.status}>
      <div class="row-main">
        <p class="row-title">{offer.title}</p>
        <p class="row-meta">
          {offer.shopName} · {formatMoney(offer.price)} · {t('marketplace.commission', { rate: formatBps(offer.commissionBps) })}
        </p>
        <p class="row-meta">{mine === 'received' ? t('invitations.from', { handle: invitation.leader.handle }) : t('invitations.to', { handle: invitation.influencer.handle })}</p>
      </div>
      <div class="row-side">
        {mine === 'received' && invitation.status === 'pending' && onAnswer ? (
          <>
            <button class="btn btn-small btn-primary" onClick={() => onAnswer(invitation.id, 'accept')} data-testid="accept">
              {t('invitations.accept')}
            </button>
            <button class="btn btn-small" onClick={() => onAnswer(invitation.id, 'decline')} data-testid="decline">
              {t('invitations.decline')}
            </button>
          </>
        ) : (
          <span class={`badge badge-${INVITATION_TONE[invitation.status]}`}>{t(`invitations.status.${invitation.status}`)}</span>
        )}
      </div>
    </li>
  );
}

function InvitationsBody() {
  const invitations = useResource((signal) => get<{ received: Invitation[]; sent: Invitation[] }>('/me/invitations', signal), []);
  const { error, run: answer } = useSubmit(async (id: string, verb: 'accept' | 'decline') => {
    await post(`/invitations/${id}/${verb}`);
    invitations.reload();
  });
  return (
    <Loaded resource={invitations}>
      {({ received, sent }) => (
        <>
          {error !== null && (
            <p class="banner banner-bad" role="alert">
              {refusalText(error)}
            </p>
          )}
          <section class="card">
            <h2>{t('invitations.received')}</h2>
            {received.length === 0 ? (
              <Empty icon="gift" title={t('invitations.none')} hint={t('invitations.noneHint')} />
            ) : (
              <ul class="rows">
                {received.map((i) => (
                  <InvitationRow key={i.id} invitation={i} mine="received" onAnswer={answer} />
                ))}
              </ul>
            )}
          </section>
          {sent.length > 0 && (
            <section class="card">
              <h2>{t('invitations.sent')}</h2>
              <ul class="rows">
                {sent.map((i) => (
                  <InvitationRow key={i.id} invitation={i} mine="sent" />
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </Loaded>
  );
}
