// Co-hosting (连麦) in the buyer app's own pages: an invitation to this room's stream (a banner in the room), the
// open invitations on the Me page, and who is on screen in the room's stream. Accepting keeps the co-host token
// for this tab, where the co-host page (Cohost.tsx) reads it to go on screen.
import { get, post, useAuth } from '../shared/api.ts';
import { t } from '../shared/i18n.ts';
import '../shared/locales/cohosting.ts';
import { navigate } from '../shared/router.tsx';
import type { Cohost, OnScreen } from '../shared/types.ts';
import { errorText, useInterval, useResource, useSubmit } from '../shared/ui.tsx';
import './cohosting.css';

/** How often the room looks for an invitation to its stream. */
const INVITES_POLL_MS = 3000;

const tokenKey = (cohostId: string) => `hawker.cohost.${cohostId}`;

/** The co-host token accepting gave, for this tab only (it is shown once; accepting again makes a new one). */
export const cohostToken = {
  read(cohostId: string): string | null {
    try {
      return sessionStorage.getItem(tokenKey(cohostId));
    } catch {
      return null;
    }
  },
  write(cohostId: string, token: string) {
    try {
      sessionStorage.setItem(tokenKey(cohostId), token);
    } catch {
      // storage off: the co-host page asks to accept again
    }
  },
  forget(cohostId: string) {
    try {
      sessionStorage.removeItem(tokenKey(cohostId));
    } catch {
      // nothing kept
    }
  },
};

/** Accepts (as oneself, not as a shop) and keeps the token to publish with; answers it. */
export async function acceptCohost(cohostId: string): Promise<string> {
  const { publish } = await post<{ cohost: Cohost; publish: { whipUrl: string; token: string } }>(`/cohosts/${encodeURIComponent(cohostId)}/accept`);
  cohostToken.write(cohostId, publish.token);
  return publish.token;
}

const isOpen = (c: Cohost) => c.status === 'invited' || c.status === 'accepted';

function useInvites(poll: boolean) {
  const { token } = useAuth();
  const invites = useResource((signal) => (token ? get<{ cohosts: Cohost[] }>('/me/cohost-invites', signal).then((r) => r.cohosts.filter(isOpen)) : Promise.resolve([])), [token]);
  useInterval(invites.reload, INVITES_POLL_MS, poll && token !== null);
  return invites;
}

/** Accept (then on to the co-host page) and decline, for one invitation. */
function InviteActions({ cohost, onDeclined }: { cohost: Cohost; onDeclined(): void }) {
  const accept = useSubmit(
    async () => {
      await acceptCohost(cohost.id);
      navigate(`/cohost/${cohost.id}`);
    },
    { keepBusy: true },
  );
  const decline = useSubmit(async () => {
    await post(`/cohosts/${encodeURIComponent(cohost.id)}/decline`);
    onDeclined();
  });
  const error = accept.error ?? decline.error;
  return (
    <>
      <div class="cohost-actions">
        {cohost.status === 'invited' && (
          <button class="btn btn-small" type="button" disabled={decline.busy || accept.busy} onClick={() => decline.run()} data-testid="cohost-decline">
            {t('cohosting.decline')}
          </button>
        )}
        <button class="btn btn-small btn-primary" type="button" disabled={accept.busy || decline.busy} onClick={() => accept.run()} data-testid="cohost-accept">
          {cohost.status === 'accepted' ? t('cohosting.rejoin') : t('cohosting.accept')}
        </button>
      </div>
      {error !== null && (
        <p class="form-error" role="alert">
          {errorText(error)}
        </p>
      )}
    </>
  );
}

/** In the room: an open invitation to co-host this session's stream, asked for every few seconds. */
export function CohostInviteBanner({ sessionId, hostName }: { sessionId: string; hostName: string }) {
  const invites = useInvites(true);
  const invite = invites.data?.find((c) => c.liveSessionId === sessionId);
  if (!invite) return null;
  return (
    <aside class="cohost-invite" aria-live="polite" data-testid="cohost-invite-banner" data-status={invite.status}>
      <p>{invite.status === 'accepted' ? t('cohosting.bannerAccepted', { title: invite.sessionTitle }) : t('cohosting.banner', { shop: hostName })}</p>
      <InviteActions cohost={invite} onDeclined={invites.reload} />
    </aside>
  );
}

/** On the Me page: the open invitations, if any. */
export function CohostInvites() {
  const invites = useInvites(false);
  const list = invites.data ?? [];
  if (list.length === 0) return null;
  return (
    <section class="card" data-testid="cohost-invites">
      <h2>{t('cohosting.invites')}</h2>
      <ul class="cohost-invite-list">
        {list.map((c) => (
          <li key={c.id} data-testid="cohost-invite" data-status={c.status}>
            <span>{t('cohosting.invitedTo', { title: c.sessionTitle })}</span>
            <InviteActions cohost={c} onDeclined={invites.reload} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/** In the room: who is in the stream now (the host, and a co-host guest). */
export function OnScreenNames({ onScreen }: { onScreen: OnScreen }) {
  const count = onScreen.people.length;
  return (
    <ul class="room-on-screen" data-testid="on-screen" data-count={String(count)} aria-label={t('cohosting.onScreen.label')} hidden={count === 0}>
      {onScreen.people.map((p) => (
        <li key={`${p.role}-${p.userId ?? p.shopId ?? p.name}`} class="pill" data-role={p.role}>
          <b>{t(`cohosting.onScreen.roles.${p.role}`)}</b> {p.name}
        </li>
      ))}
    </ul>
  );
}
