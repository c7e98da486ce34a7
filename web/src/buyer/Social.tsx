// The social graph's pages: a user's profile (/u/:id: who they are, followers and following counts that open the
// lists, the follow button, their videos and, for an influencer, the showcase), the followers and following lists,
// the viewer's friends (mutual follows and the people they exchange share links with), and the privacy settings
// the feed honours (personalised recommendation, likes hidden from friends).
import { useState } from 'preact/hooks';
import { ApiError, api, get, query, useAuth } from '../shared/api.ts';
import { formatMoney, formatNumber } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import { goBack, Link } from '../shared/router.tsx';
import type { FeedSettings, Followed, Follower, Friend, Influencer, ShowcaseItem, Video } from '../shared/types.ts';
import { CopyButton, Empty, errorText, Loaded, useResource, useSubmit } from '../shared/ui.tsx';
import { withSource } from './analytics-events.ts';
import { FollowButton, useFollow } from './Follow.tsx';
import { MePage, More, TierBadge, usePaged } from './MePage.tsx';
import './feed.css';

/** GET that answers null for 404. */
async function getOrNull<T>(path: string, signal: AbortSignal): Promise<T | null> {
  try {
    return await get<T>(path, signal);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/**
 * Names of users this page has listed (followers, friends), for their profile: no public endpoint names a user
 * who is neither an influencer nor a creator, so a profile opened from a list shows the name the list gave.
 */
const knownUsers = new Map<string, { handle: string; displayName: string }>();
function remember(users: readonly { id: string; handle: string; displayName: string }[]) {
  for (const u of users) knownUsers.set(u.id, { handle: u.handle, displayName: u.displayName });
}

const initial = (name: string) => (name.trim().slice(0, 1) || '?').toUpperCase();

function Avatar({ name, big = false }: { name: string; big?: boolean }) {
  return (
    <span class={big ? 'avatar avatar-big' : 'avatar'} aria-hidden="true">
      {initial(name)}
    </span>
  );
}

/** A page of the graph with a way back to where the reader came from. */
function GraphPage({ title, back, testId, children }: { title: string; back: string; testId: string; children: preact.ComponentChildren }) {
  return (
    <main class="page me-page" data-testid={testId}>
      <header class="me-head">
        <button class="icon-btn me-back" onClick={() => goBack(back)}>
          <Icon name="back" size={22} />
          <span class="visually-hidden">{t('common.back')}</span>
        </button>
        <h1 class="page-title">{title}</h1>
      </header>
      {children}
    </main>
  );
}

type PublicInfluencer = Pick<Influencer, 'userId' | 'handle' | 'displayName' | 'bio' | 'tier'>;

interface ProfileData {
  follow: { following: boolean; followers: number; followingCount: number };
  influencer: { influencer: PublicInfluencer; showcase: ShowcaseItem[] } | null;
  videos: Video[];
}

/** /u/:id — anyone's public page. */
export function UserProfile({ userId }: { userId: string }) {
  const session = useAuth();
  const data = useResource<ProfileData>(
    async (signal) => {
      const [follow, influencer, videos] = await Promise.all([
        get<ProfileData['follow']>(`/users/${encodeURIComponent(userId)}/follow`, signal),
        getOrNull<{ influencer: PublicInfluencer; showcase: ShowcaseItem[] }>(`/influencers/${encodeURIComponent(userId)}`, signal),
        get<{ videos: Video[] }>(`/videos${query({ creatorId: userId, limit: 12 })}`, signal).then((r) => r.videos),
      ]);
      return { follow, influencer, videos };
    },
    [userId, session.token],
  );
  return (
    <main class="page me-page" data-testid="profile" data-user-id={userId}>
      <Loaded resource={data}>{(d) => <ProfileView userId={userId} data={d} />}</Loaded>
    </main>
  );
}

function ProfileView({ userId, data }: { userId: string; data: ProfileData }) {
  const session = useAuth();
  const follow = useFollow({ type: 'user', id: userId }, data.follow.following);
  const me = session.user?.id === userId;
  const inf = data.influencer?.influencer;
  const creator = data.videos[0]?.creator;
  const known = me && session.user ? session.user : knownUsers.get(userId);
  const handle = inf?.handle ?? creator?.handle ?? known?.handle;
  const name = inf?.displayName || creator?.displayName || known?.displayName || (handle ? `@${handle}` : t('profile.someone'));
  const followers = follow.followers ?? data.follow.followers;
  return (
    <>
      <section class="card profile">
        <div class="profile-head" style={{ justifyContent: 'flex-start' }}>
          <Avatar name={name} big />
          <div style={{ flex: 1, minWidth: 0 }}>
            <h1 class="page-title" data-testid="profile-name">
              {name}
            </h1>
            {handle && <p class="muted">@{handle}</p>}
          </div>
          {inf && <TierBadge tier={inf.tier} />}
        </div>
        {inf?.bio && <p>{inf.bio}</p>}
        <div class="profile-counts">
          <Link href={`/u/${userId}/followers`} data-testid="followers-count">
            <strong>{formatNumber(followers)}</strong>
            <small>{t('follow.followersLabel')}</small>
          </Link>
          <Link href={`/u/${userId}/following`} data-testid="following-count">
            <strong>{formatNumber(data.follow.followingCount)}</strong>
            <small>{t('follow.followingLabel')}</small>
          </Link>
        </div>
        {me ? (
          <Link class="btn btn-small" href="/me/privacy">
            {t('privacy.title')}
          </Link>
        ) : (
          <FollowButton target={{ type: 'user', id: userId }} known={data.follow.following} />
        )}
        {inf && (
          <p class="row-meta">
            {t('influencer.handleForInvites')} <span class="mono">@{inf.handle}</span> <CopyButton text={`@${inf.handle}`} label={t('influencer.handleForInvites')} />
          </p>
        )}
      </section>
      {data.videos.length > 0 && (
        <section class="card">
          <h2>{t('profile.videos')}</h2>
          <ul class="video-grid">
            {data.videos.map((v) => (
              <li key={v.id}>
                <Link href={`/v/${v.id}?from=profile`} data-testid="profile-video">
                  {v.playback?.cover && <img src={v.playback.cover} alt="" loading="lazy" />}
                  <span>{v.title}</span>
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}
      {data.influencer && (
        <section class="card">
          <h2>{t('influencer.showcase')}</h2>
          {data.influencer.showcase.length === 0 ? (
            <Empty icon="bag" title={t('influencer.showcaseEmpty')} />
          ) : (
            <ul class="offer-grid">
              {data.influencer.showcase.map((item) => (
                <li key={item.offer.id}>
                  <Link class="offer-card" href={withSource(`/p/${item.offer.productId}`, 'profile')}>
                    {item.offer.image ? (
                      <img src={item.offer.image} alt="" />
                    ) : (
                      <div class="offer-image-none">
                        <Icon name="bag" size={36} />
                      </div>
                    )}
                    <span class="offer-title">{item.offer.title}</span>
                    <strong class="offer-price">{formatMoney(item.offer.price)}</strong>
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </>
  );
}

/** /u/:id/followers */
export function Followers({ userId }: { userId: string }) {
  const list = usePaged<Follower>(`/users/${encodeURIComponent(userId)}/followers`, 'users');
  remember(list.items);
  return (
    <GraphPage title={t('follow.followersLabel')} back={`/u/${userId}`} testId="followers-page">
      <section class="card">
        {list.error !== null && <p class="form-error">{errorText(list.error)}</p>}
        {!list.loading && list.items.length === 0 && list.error === null ? (
          <Empty icon="user" title={t('follow.noFollowers')} />
        ) : (
          <ul class="rows">
            {list.items.map((u) => (
              <li key={u.id} class="row-item" data-testid="follower" data-user-id={u.id}>
                <Avatar name={u.displayName || u.handle} />
                <div class="row-main">
                  <Link class="row-title" href={`/u/${u.id}`}>
                    {u.displayName || u.handle}
                  </Link>
                  <p class="row-meta">@{u.handle}</p>
                </div>
                <FollowButton target={{ type: 'user', id: u.id }} />
              </li>
            ))}
          </ul>
        )}
        <More list={list} />
      </section>
    </GraphPage>
  );
}

/** /u/:id/following: the users and shops they follow. */
export function Following({ userId }: { userId: string }) {
  const list = usePaged<Followed>(`/users/${encodeURIComponent(userId)}/following`, 'following');
  return (
    <GraphPage title={t('follow.followingLabel')} back={`/u/${userId}`} testId="following-page">
      <section class="card">
        {list.error !== null && <p class="form-error">{errorText(list.error)}</p>}
        {!list.loading && list.items.length === 0 && list.error === null ? (
          <Empty icon="user" title={t('follow.noFollowing')} />
        ) : (
          <ul class="rows">
            {list.items.map((f) => (
              <li key={`${f.type}:${f.id}`} class="row-item" data-testid="followed" data-type={f.type} data-id={f.id}>
                <Avatar name={f.name} />
                <div class="row-main">
                  {f.type === 'user' ? (
                    <Link class="row-title" href={`/u/${f.id}`}>
                      {f.name}
                    </Link>
                  ) : (
                    <span class="row-title">{f.name}</span>
                  )}
                  <p class="row-meta">{f.type === 'shop' ? t('follow.shop') : t('follow.user')}</p>
                </div>
                <FollowButton target={{ type: f.type, id: f.id }} />
              </li>
            ))}
          </ul>
        )}
        <More list={list} />
      </section>
    </GraphPage>
  );
}

/** /me/friends: mutual follows and share-link ties, closest first. */
export function Friends() {
  return (
    <MePage title={t('friends.title')} testId="friends-page">
      <FriendsBody />
    </MePage>
  );
}

function FriendsBody() {
  const friends = useResource(
    (signal) =>
      get<{ friends: Friend[] }>('/me/friends', signal).then((r) => {
        remember(r.friends);
        return r.friends;
      }),
    [],
  );
  return (
    <section class="card">
      <p class="hint">{t('friends.hint')}</p>
      <Loaded resource={friends}>
        {(list) =>
          list.length === 0 ? (
            <Empty icon="user" title={t('friends.empty')} hint={t('friends.emptyHint')} />
          ) : (
            <ul class="rows">
              {list.map((f) => (
                <li key={f.id} class="row-item" data-testid="friend" data-user-id={f.id}>
                  <Avatar name={f.displayName || f.handle} />
                  <div class="row-main">
                    <Link class="row-title" href={`/u/${f.id}`}>
                      {f.displayName || f.handle}
                    </Link>
                    <p class="row-meta">
                      @{f.handle}
                      {f.mutualFollow && <> · {t('friends.mutual')}</>}
                      {f.sharedLinks > 0 && <> · {t('friends.shared', { n: f.sharedLinks })}</>}
                    </p>
                  </div>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

/** /me/privacy: what the feed may do with the viewer's activity. */
export function Privacy() {
  return (
    <MePage title={t('privacy.title')} testId="privacy-page">
      <PrivacyBody />
    </MePage>
  );
}

function PrivacyBody() {
  const settings = useResource((signal) => get<{ settings: FeedSettings }>('/me/feed-settings', signal).then((r) => r.settings), []);
  const [saved, setSaved] = useState(false);
  const [region, setRegion] = useState<string | null>(null);
  const save = useSubmit(async (change: Partial<FeedSettings>) => {
    setSaved(false);
    const r = await api<{ settings: FeedSettings }>('PATCH', '/me/feed-settings', { body: change });
    settings.setData(r.settings);
    setSaved(true);
  });
  return (
    <Loaded resource={settings}>
      {(s) => (
        <>
          <section class="card">
            <label class="switch-row">
              <span>
                {t('privacy.personalised')}
                <small>{t('privacy.personalisedHint')}</small>
              </span>
              <input
                type="checkbox"
                role="switch"
                name="personalised"
                checked={s.personalised}
                disabled={save.busy}
                data-testid="privacy-personalised"
                onChange={(e) => void save.run({ personalised: e.currentTarget.checked })}
              />
            </label>
            <label class="switch-row">
              <span>
                {t('privacy.hideLikes')}
                <small>{t('privacy.hideLikesHint')}</small>
              </span>
              <input
                type="checkbox"
                role="switch"
                name="hideLikes"
                checked={s.hideLikes}
                disabled={save.busy}
                data-testid="privacy-hide-likes"
                onChange={(e) => void save.run({ hideLikes: e.currentTarget.checked })}
              />
            </label>
          </section>
          <form
            class="card"
            onSubmit={(e) => {
              e.preventDefault();
              const value = (region ?? s.region ?? '').trim();
              void save.run({ region: value || null });
            }}
          >
            <label>
              {t('privacy.region')}
              <input name="region" maxLength={64} value={region ?? s.region ?? ''} placeholder={t('privacy.regionHint')} onInput={(e) => setRegion(e.currentTarget.value)} />
            </label>
            <button class="btn btn-small" type="submit" disabled={save.busy}>
              {t('common.save')}
            </button>
          </form>
          <p class="muted" role="status" data-testid="privacy-status">
            {save.busy ? t('common.wait') : saved ? t('common.saved') : ''}
          </p>
          {save.error !== null && (
            <p class="form-error" role="alert">
              {errorText(save.error)}
            </p>
          )}
          <section class="card menu">
            <Link href="/me/friends">{t('friends.title')}</Link>
          </section>
        </>
      )}
    </Loaded>
  );
}
