// The group leader (团长): the influencers they recruited, and inviting an influencer (by handle) to a
// marketplace offer (the influencer accepts, and the leader earns the offer's leader share of each commission).
import { useState } from 'preact/hooks';
import { ApiError, get, post } from '../shared/api.ts';
import { formatBps } from '../shared/commission.ts';
import { formatMoney } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { searchParam } from '../shared/router.tsx';
import type { GroupLeader as Leader, Invitation, Offer, Tier } from '../shared/types.ts';
import { Empty, errorText, Loaded, useResource, useSubmit } from '../shared/ui.tsx';
import { InvitationRow } from './Influencer.tsx';
import { MePage, refusalText, TierBadge } from './MePage.tsx';

interface LeaderPage {
  groupLeader: Leader;
  influencers: { userId: string; handle: string; tier: Tier }[];
}

export function GroupLeader() {
  return (
    <MePage title={t('leader.title')} testId="leader-page">
      <LeaderBody />
    </MePage>
  );
}

function LeaderBody() {
  const leader = useResource(async (signal) => {
    try {
      return { page: await get<LeaderPage>('/me/group-leader', signal) };
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return { page: null };
      throw err;
    }
  }, []);
  return <Loaded resource={leader}>{({ page }) => (page ? <LeaderHome page={page} /> : <BecomeLeader onDone={leader.reload} />)}</Loaded>;
}

function BecomeLeader({ onDone }: { onDone(): void }) {
  const [name, setName] = useState('');
  // Busy until the leader's page, loading after onDone, takes this form's place.
  const { busy, error, onSubmit } = useSubmit(
    async () => {
      await post('/me/group-leader', name.trim() ? { name: name.trim() } : {});
      onDone();
    },
    { keepBusy: true },
  );
  return (
    <form class="card" onSubmit={onSubmit} data-testid="become-leader">
      <h2>{t('leader.become')}</h2>
      <p class="hint">{t('leader.becomeHint')}</p>
      <label>
        {t('leader.name')}
        <input name="leaderName" maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      {error !== null && (
        <p class="form-error" role="alert">
          {errorText(error)}
        </p>
      )}
      <button class="btn btn-primary btn-block" disabled={busy}>
        {busy ? t('common.wait') : t('leader.becomeButton')}
      </button>
    </form>
  );
}

function LeaderHome({ page }: { page: LeaderPage }) {
  const invitations = useResource((signal) => get<{ sent: Invitation[] }>('/me/invitations', signal).then((r) => r.sent), []);
  return (
    <>
      <section class="card profile" data-testid="leader-profile">
        <p class="row-title">{page.groupLeader.name || page.groupLeader.handle}</p>
        <p class="muted">@{page.groupLeader.handle}</p>
      </section>
      <section class="card">
        <h2>{t('leader.influencers')}</h2>
        {page.influencers.length === 0 ? (
          <Empty icon="user" title={t('leader.noInfluencers')} hint={t('leader.noInfluencersHint')} />
        ) : (
          <ul class="rows" data-testid="recruited">
            {page.influencers.map((i) => (
              <li key={i.userId} class="row-item">
                <span class="row-main">@{i.handle}</span>
                <TierBadge tier={i.tier} />
              </li>
            ))}
          </ul>
        )}
      </section>
      <InviteForm influencers={page.influencers} onSent={invitations.reload} />
      <section class="card">
        <h2>{t('invitations.sent')}</h2>
        <Loaded resource={invitations}>
          {(sent) =>
            sent.length === 0 ? (
              <p class="hint">{t('invitations.noneSent')}</p>
            ) : (
              <ul class="rows">
                {sent.map((i) => (
                  <InvitationRow key={i.id} invitation={i} mine="sent" />
                ))}
              </ul>
            )
          }
        </Loaded>
      </section>
    </>
  );
}

type Invitee = { handle: string } | { influencerId: string };

/** Who to invite, as the API takes it: a handle ("@tea_lover", "tea_lover"), or a user id ("usr_…"). */
function inviteeOf(text: string): Invitee | null {
  const s = text.trim();
  if (/^usr_[0-9A-Za-z]{10,60}$/.test(s)) return { influencerId: s };
  const handle = s.replace(/^@/, '').toLowerCase();
  return /^[a-z0-9_]{3,32}$/.test(handle) ? { handle } : null;
}

function InviteForm({ influencers, onSent }: { influencers: LeaderPage['influencers']; onSent(): void }) {
  const offers = useResource((signal) => get<{ offers: Offer[] }>('/marketplace/offers?limit=100', signal).then((r) => r.offers), []);
  const [offerId, setOfferId] = useState(searchParam('offer') ?? '');
  const [who, setWho] = useState(influencers[0] ? `@${influencers[0].handle}` : '');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const { busy, run: invite } = useSubmit(async (offer: string, invitee: Invitee) => {
    setResult(null);
    try {
      await post(`/offers/${offer}/invitations`, invitee);
      setResult({ ok: true, text: t('leader.invited') });
      onSent();
    } catch (err) {
      setResult({ ok: false, text: refusalText(err) });
    }
  });

  const submit = (e: Event) => {
    e.preventDefault();
    const chosenOffer = offerId || offers.data?.[0]?.id;
    const invitee = inviteeOf(who);
    if (!chosenOffer) return;
    if (!invitee) return setResult({ ok: false, text: t('leader.badHandle') });
    void invite(chosenOffer, invitee);
  };

  return (
    <form class="card" onSubmit={submit} data-testid="invite-form">
      <h2>{t('leader.invite')}</h2>
      <p class="hint">{t('leader.inviteHint')}</p>
      <Loaded resource={offers}>
        {(list) =>
          list.length === 0 ? (
            <p class="hint">{t('marketplace.empty')}</p>
          ) : (
            <label>
              {t('leader.offer')}
              <select name="offer" value={offerId || list[0].id} onChange={(e) => setOfferId(e.currentTarget.value)}>
                {list.map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.title} · {formatMoney(o.price)} · {formatBps(o.commissionBps)}
                  </option>
                ))}
              </select>
            </label>
          )
        }
      </Loaded>
      <label>
        {t('leader.influencer')}
        <input
          name="influencer"
          list="recruited-influencers"
          required
          autocomplete="off"
          autocapitalize="none"
          spellcheck={false}
          placeholder="@handle"
          value={who}
          onInput={(e) => setWho(e.currentTarget.value)}
        />
        <small>{t('leader.influencerHint')}</small>
      </label>
      <datalist id="recruited-influencers">
        {influencers.map((i) => (
          <option key={i.userId} value={`@${i.handle}`} />
        ))}
      </datalist>
      {result && (
        <p class={result.ok ? 'hint' : 'form-error'} role="status">
          {result.text}
        </p>
      )}
      <button class="btn btn-primary btn-block" disabled={busy}>
        {busy ? t('common.wait') : t('leader.sendInvite')}
      </button>
    </form>
  );
}
