// The buyer app: feed, live rooms, products, orders. Mobile first; the room takes the whole screen.
import { useEffect } from 'preact/hooks';
import { auth, post, useAuth } from '../shared/api.ts';
import { t, useLanguage } from '../shared/i18n.ts';
import { Icon, type IconName } from '../shared/icons.tsx';
import { Link, match, navigate, searchParam, usePath } from '../shared/router.tsx';
import { AuthForm, Empty, LanguageSwitch } from '../shared/ui.tsx';
import { recordVisit } from './analytics-events.ts';
import { CohostInvites } from './Cohosting.tsx';
import { Feed } from './Feed.tsx';
import { lazyPage } from './lazy.tsx';
import { OrderDetail, Orders, SignInPage } from './Orders.tsx';
import { Product } from './Product.tsx';
import { Room } from './Room.tsx';
import { Share } from './Share.tsx';
import './search.css';
import './sharing.css';

// Sharing's and selling's own pages load when opened.
const Earnings = lazyPage(() => import('./Earnings.tsx').then((m) => m.Earnings));
const MyShareLinks = lazyPage(() => import('./Earnings.tsx').then((m) => m.MyShareLinks));
const CreatorAnalytics = lazyPage(() => import('./CreatorAnalytics.tsx').then((m) => m.CreatorAnalytics));
const InfluencerCenter = lazyPage(() => import('./Influencer.tsx').then((m) => m.InfluencerCenter));
const UserProfile = lazyPage<{ userId: string }>(() => import('./Social.tsx').then((m) => m.UserProfile));
const Followers = lazyPage<{ userId: string }>(() => import('./Social.tsx').then((m) => m.Followers));
const Following = lazyPage<{ userId: string }>(() => import('./Social.tsx').then((m) => m.Following));
const Friends = lazyPage(() => import('./Social.tsx').then((m) => m.Friends));
const Privacy = lazyPage(() => import('./Social.tsx').then((m) => m.Privacy));
const Invitations = lazyPage(() => import('./Influencer.tsx').then((m) => m.Invitations));
const Credits = lazyPage(() => import('./Influencer.tsx').then((m) => m.Credits));
const GroupLeader = lazyPage(() => import('./GroupLeader.tsx').then((m) => m.GroupLeader));
const Marketplace = lazyPage(() => import('./Marketplace.tsx').then((m) => m.Marketplace));
const loadVideos = () => import('./Videos.tsx');
const Videos = lazyPage<{ startId?: string }>(() => loadVideos().then((m) => m.Videos));
const MyVideos = lazyPage(() => import('./MyVideos.tsx').then((m) => m.MyVideos));
const VideoUpload = lazyPage(() => import('./VideoUpload.tsx').then((m) => m.VideoUpload));
const Search = lazyPage(() => import('./Search.tsx').then((m) => m.Search));
const ShopPage = lazyPage<{ id: string }>(() => import('./Search.tsx').then((m) => m.ShopPage));
const Cohost = lazyPage<{ id: string }>(() => import('./Cohost.tsx').then((m) => m.Cohost));
const GoLivePage = lazyPage(() => import('./GoLive.tsx').then((m) => m.GoLivePage));

export function App() {
  useLanguage();
  const path = usePath();
  const session = useAuth();
  // The app is in use today, by whoever uses it: again when someone signs in or out.
  useEffect(recordVisit, [session.token, session.user?.id]);
  let params: Record<string, string> | null;

  if ((params = match('/room/:id', path))) return <Room key={params.id} id={params.id} />;
  if ((params = match('/s/:token', path))) return <Share key={params.token} token={params.token} />;

  // From the home page the 视频 tab is one tap away: its code (and its player's) is fetched once the page is idle,
  // so a tap there waits only for the video itself.
  useEffect(() => {
    if (path !== '/') return;
    const idle = window.requestIdleCallback ?? ((fn: () => void) => setTimeout(fn, 1500));
    idle(() => void loadVideos().catch(() => {}));
  }, [path === '/']);

  let page;
  if (path === '/') page = <Feed />;
  else if (path === '/videos') page = <Videos />;
  else if ((params = match('/v/:id', path))) page = <Videos key={params.id} startId={params.id} />;
  else if ((params = match('/p/:id', path))) page = <Product key={params.id} id={params.id} />;
  else if (path === '/orders') page = <Orders />;
  else if ((params = match('/orders/:id', path))) page = <OrderDetail key={params.id} id={params.id} />;
  else if (path === '/signin') page = <SignIn />;
  else if (path === '/me') page = <Me />;
  else if (path === '/me/earnings') page = <Earnings />;
  else if (path === '/me/shares') page = <MyShareLinks />;
  else if (path === '/me/influencer') page = <InfluencerCenter />;
  else if (path === '/me/analytics') page = <CreatorAnalytics />;
  else if (path === '/me/invitations') page = <Invitations />;
  else if (path === '/me/credits') page = <Credits />;
  else if (path === '/me/group-leader') page = <GroupLeader />;
  else if (path === '/me/videos') page = <MyVideos />;
  else if (path === '/me/videos/new') page = <VideoUpload />;
  else if (path === '/marketplace') page = <Marketplace />;
  else if (path === '/search') page = <Search />;
  else if ((params = match('/shop/:id', path))) page = <ShopPage key={params.id} id={params.id} />;
  else if ((params = match('/cohost/:id', path))) page = <Cohost key={params.id} id={params.id} />;
  else if (path === '/golive') page = <GoLivePage />;
  else if (path === '/me/privacy') page = <Privacy />;
  else if (path === '/me/friends') page = <Friends />;
  else if ((params = match('/u/:id', path))) page = <UserProfile key={params.id} userId={params.id} />;
  else if ((params = match('/u/:id/followers', path))) page = <Followers key={params.id} userId={params.id} />;
  else if ((params = match('/u/:id/following', path))) page = <Following key={params.id} userId={params.id} />;
  else page = <Empty icon="compass" title={t('common.notFound')} />;

  return (
    <div class="shell">
      <header class="topbar">
        <Link class="brand" href="/">
          Hawker
        </Link>
        {path === '/' && (
          <Link class="topbar-search" href="/search" data-testid="open-search">
            <Icon name="search" size={16} />
            <span>{t('search.placeholder')}</span>
          </Link>
        )}
        <LanguageSwitch />
      </header>
      {page}
      <nav class="tabbar" aria-label={t('nav.main')}>
        <Link class={path === '/' ? 'tab-link active' : 'tab-link'} href="/">
          <Icon name="home" size={22} />
          {t('nav.feed')}
        </Link>
        <Link class={path === '/videos' || path.startsWith('/v/') ? 'tab-link active' : 'tab-link'} href="/videos">
          <Icon name="film" size={22} />
          {t('nav.videos')}
        </Link>
        <Link class={path.startsWith('/orders') ? 'tab-link active' : 'tab-link'} href="/orders">
          <Icon name="receipt" size={22} />
          {t('nav.orders')}
        </Link>
        <Link class={path === '/me' || path.startsWith('/me/') || path === '/marketplace' || path === '/signin' ? 'tab-link active' : 'tab-link'} href="/me">
          <Icon name="user" size={22} />
          {t('nav.me')}
        </Link>
      </nav>
    </div>
  );
}

function SignIn() {
  const session = useAuth();
  const next = searchParam('next');
  // Only a path of this app, never another site.
  const target = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
  useEffect(() => {
    if (session.user) navigate(target, { replace: true });
  }, [session.user]);
  return (
    <main class="page">
      <h1 class="page-title">{t('auth.welcome')}</h1>
      <AuthForm onDone={() => navigate(target, { replace: true })} />
    </main>
  );
}

function Me() {
  const session = useAuth();
  // Signed in here, the buyer stays here.
  if (!session.token) return <SignInPage />;
  const signOut = async () => {
    try {
      await post('/auth/logout');
    } finally {
      auth.signOut();
    }
  };
  return (
    <main class="page me">
      <section class="card">
        <h1 class="page-title">{session.user?.displayName ?? ''}</h1>
        <p class="muted">@{session.user?.handle}</p>
        {session.user && (
          <Link class="btn btn-small" href={`/u/${session.user.id}`} data-testid="my-profile">
            {t('profile.mine')}
          </Link>
        )}
      </section>
      <CohostInvites />
      <section class="card menu me-menu">
        <MenuLink href="/orders" icon="receipt" label={t('nav.orders')} />
        <MenuLink href="/me/earnings" icon="gift" label={t('earnings.title')} />
        <MenuLink href="/me/shares" icon="compass" label={t('shares.title')} />
      </section>
      <section class="card menu me-menu">
        <MenuLink href="/me/friends" icon="user" label={t('friends.title')} />
        <MenuLink href="/me/privacy" icon="lock" label={t('privacy.title')} />
      </section>
      <section class="card menu me-menu">
        <MenuLink href="/me/influencer" icon="heart" label={t('influencer.title')} />
        <MenuLink href="/me/analytics" icon="eye" label={t('analyticsLinks.creator')} />
        <MenuLink href="/me/videos" icon="film" label={t('creatorVideos.title')} />
        <MenuLink href="/golive" icon="video" label={t('cohosting.meLink')} />
        <MenuLink href="/marketplace" icon="bag" label={t('marketplace.title')} />
        <MenuLink href="/me/invitations" icon="box" label={t('invitations.title')} />
        <MenuLink href="/me/group-leader" icon="user" label={t('leader.title')} />
        <MenuLink href="/me/credits" icon="eye" label={t('credits.title')} />
      </section>
      <section class="card menu">
        <a href="/console">{t('me.console')}</a>
        <button class="btn" onClick={signOut}>
          {t('auth.signOut')}
        </button>
      </section>
    </main>
  );
}

function MenuLink({ href, icon, label }: { href: string; icon: IconName; label: string }) {
  return (
    <Link href={href}>
      <Icon name={icon} size={20} />
      {label}
    </Link>
  );
}
