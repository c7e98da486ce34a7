// Following a user or a shop: one state per target for the whole page (a follow on one video shows on the creator's
// next video and on their profile at once), one button for rooms, products and profiles, and the hook the video
// feed's round "+" uses.
import { useEffect, useState } from 'preact/hooks';
import { api, auth, get, query, useAuth } from '../shared/api.ts';
import { formatNumber } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import { navigate } from '../shared/router.tsx';
import { errorText } from '../shared/ui.tsx';

export interface FollowTarget {
  type: 'user' | 'shop';
  id: string;
}

interface FollowState {
  following: boolean;
  /** Unknown until the server said (a video's social block does not carry it). */
  followers: number | null;
}

const states = new Map<string, FollowState>();
const listeners = new Set<() => void>();
/** Counts the changes, so that a component can tell one happened between its render and its subscription. */
let version = 0;
const keyOf = (target: FollowTarget) => `${target.type}:${target.id}`;
const pathOf = (target: FollowTarget) => (target.type === 'user' ? `/users/${encodeURIComponent(target.id)}/follow` : `/shops/${encodeURIComponent(target.id)}/follow`);

function setState(target: FollowTarget, state: FollowState) {
  states.set(keyOf(target), state);
  version++;
  for (const fn of listeners) fn();
}

// Another account's follows are not this one's.
auth.subscribe(() => states.clear());

/** Sign in first, then come back here. */
export const signInHere = () => navigate(`/signin${query({ next: location.pathname + location.search })}`);

export interface Follow {
  following: boolean;
  followers: number | null;
  busy: boolean;
  error: unknown;
  toggle(): Promise<void>;
}

/**
 * The viewer's follow of `target`. `known`: what the page already knows (a video's social block); without it the
 * state is asked of the server once per page.
 */
export function useFollow(target: FollowTarget, known?: boolean): Follow {
  const session = useAuth();
  const key = keyOf(target);
  const [, setVersion] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const rendered = version;
  useEffect(() => {
    const fn = () => setVersion((v) => v + 1);
    listeners.add(fn);
    if (version !== rendered) fn();
    return () => void listeners.delete(fn);
  }, []);
  useEffect(() => {
    if (states.has(key)) return;
    if (known !== undefined) {
      states.set(key, { following: known, followers: null });
      setVersion((v) => v + 1);
      return;
    }
    const abort = new AbortController();
    get<{ following: boolean; followers: number }>(pathOf(target), abort.signal).then(
      (r) => setState(target, { following: r.following, followers: r.followers }),
      () => {
        // the button still works: it says "follow" until the viewer taps it
      },
    );
    return () => abort.abort();
  }, [key, session.token]);

  const state = states.get(key) ?? { following: known ?? false, followers: null };
  const toggle = async () => {
    if (!auth.token) return signInHere();
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ following: boolean; followers: number }>(state.following ? 'DELETE' : 'POST', pathOf(target));
      setState(target, { following: r.following, followers: r.followers });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { ...state, busy, error, toggle };
}

/** 关注 / 已关注 for a user or a shop; not shown on the viewer's own profile. */
export function FollowButton({ target, known, class: className = 'btn btn-small', testId = 'follow', showCount = false }: { target: FollowTarget; known?: boolean; class?: string; testId?: string; showCount?: boolean }) {
  const session = useAuth();
  const follow = useFollow(target, known);
  if (target.type === 'user' && session.user?.id === target.id) return null;
  return (
    <span class="follow">
      <button
        type="button"
        class={`${className} follow-btn${follow.following ? ' following' : ' btn-primary'}`}
        onClick={() => void follow.toggle()}
        disabled={follow.busy}
        aria-pressed={follow.following}
        data-testid={testId}
        data-following={follow.following ? 'true' : 'false'}
      >
        {follow.following ? (
          <>
            <Icon name="check" size={14} /> {t('follow.following')}
          </>
        ) : (
          `+ ${t('follow.follow')}`
        )}
      </button>
      {showCount && follow.followers !== null && <small class="muted follow-count">{t('follow.followers', { n: formatNumber(follow.followers) })}</small>}
      {follow.error !== null && (
        <small class="form-error" role="alert">
          {errorText(follow.error)}
        </small>
      )}
    </span>
  );
}
