// The buyer app: feed, live rooms, products, orders. Mobile first; the room takes the whole screen.
import { useEffect } from 'preact/hooks';
import { auth, post, useAuth } from '../shared/api.ts';
import { t, useLanguage } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import { Link, match, navigate, searchParam, usePath } from '../shared/router.tsx';
import { AuthForm, Empty, LanguageSwitch } from '../shared/ui.tsx';
import { Feed } from './Feed.tsx';
import { OrderDetail, Orders } from './Orders.tsx';
import { Product } from './Product.tsx';
import { Room } from './Room.tsx';

export function App() {
  useLanguage();
  const path = usePath();
  let params: Record<string, string> | null;

  if ((params = match('/room/:id', path))) return <Room key={params.id} id={params.id} />;

  let page;
  if (path === '/') page = <Feed />;
  else if ((params = match('/p/:id', path))) page = <Product key={params.id} id={params.id} />;
  else if (path === '/orders') page = <Orders />;
  else if ((params = match('/orders/:id', path))) page = <OrderDetail key={params.id} id={params.id} />;
  else if (path === '/signin') page = <SignIn />;
  else if (path === '/me') page = <Me />;
  else page = <Empty icon="compass" title={t('common.notFound')} />;

  return (
    <div class="shell">
      <header class="topbar">
        <Link class="brand" href="/">
          Hawker
        </Link>
        <LanguageSwitch />
      </header>
      {page}
      <nav class="tabbar" aria-label={t('nav.main')}>
        <Link class={path === '/' ? 'tab-link active' : 'tab-link'} href="/">
          <Icon name="home" size={22} />
          {t('nav.feed')}
        </Link>
        <Link class={path.startsWith('/orders') ? 'tab-link active' : 'tab-link'} href="/orders">
          <Icon name="receipt" size={22} />
          {t('nav.orders')}
        </Link>
        <Link class={path === '/me' || path === '/signin' ? 'tab-link active' : 'tab-link'} href="/me">
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
  if (!session.token) return <SignIn />;
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
      </section>
      <section class="card menu">
        <Link href="/orders">{t('nav.orders')}</Link>
        <a href="/console">{t('me.console')}</a>
        <button class="btn" onClick={signOut}>
          {t('auth.signOut')}
        </button>
      </section>
    </main>
  );
}
