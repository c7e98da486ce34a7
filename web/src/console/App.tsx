// The merchant console: the shop and its trial, products and stock, live sessions with the live control
// panel, orders, after-sales, figures; operators also get the platform's settings.
import { useEffect, useState } from 'preact/hooks';
import { auth, get, post, storage, useAuth } from '../shared/api.ts';
import { t, useLanguage } from '../shared/i18n.ts';
import { Link, match, navigate, usePath } from '../shared/router.tsx';
import type { Shop } from '../shared/types.ts';
import { AuthForm, Empty, Failure, Loaded, LanguageSwitch, Spinner, useResource } from '../shared/ui.tsx';
import { AfterSalesDetail, AfterSalesQueue } from './AfterSales.tsx';
import { LiveAnalytics } from './LiveAnalytics.tsx';
import { LiveControl } from './LiveControl.tsx';
import { LiveSessions } from './LiveSessions.tsx';
import { Operator } from './Operator.tsx';
import { PlatformAnalytics } from './PlatformAnalytics.tsx';
import { ShopOrders } from './Orders.tsx';
import { Products } from './Products.tsx';
import { Offers } from './Offers.tsx';
import { ShopAnalytics } from './ShopAnalytics.tsx';
import { NewShop, ShopOverview } from './ShopOverview.tsx';
import { Stats } from './Stats.tsx';
import { Videos } from './Videos.tsx';
import { EmbedSettings } from './EmbedSettings.tsx';
import { Webhooks } from './Webhooks.tsx';
import { ApiKeys } from './ApiKeys.tsx';

const SHOP_KEY = 'hawker.shop';

export function App() {
  useLanguage();
  const session = useAuth();
  if (!session.token) {
    return (
      <main class="console-signin">
        <h1>{t('console.title')}</h1>
        <LanguageSwitch />
        <AuthForm />
      </main>
    );
  }
  if (!session.user) return <Spinner label={session.unreachable ? t('common.reconnecting') : undefined} />;
  return <Console />;
}

function Console() {
  const path = usePath();
  const session = useAuth();
  const shops = useResource((signal) => get<{ shops: Shop[] }>('/me/shops?limit=200', signal).then((r) => r.shops), [session.user?.id]);
  const [shopId, setShopId] = useState(storage.read(SHOP_KEY));
  const operator = session.user?.role === 'operator';
  const list = shops.data ?? [];
  const shop = list.find((s) => s.id === shopId) ?? list[0] ?? null;

  useEffect(() => {
    if (shop && shop.id !== shopId) setShopId(shop.id);
  }, [shop?.id]);

  const choose = (id: string) => {
    storage.write(SHOP_KEY, id);
    setShopId(id);
  };
  const opened = (created: Shop) => {
    choose(created.id);
    shops.reload();
    navigate('/console');
  };

  const signOut = async () => {
    try {
      await post('/auth/logout');
    } finally {
      auth.signOut();
    }
  };

  let params: Record<string, string> | null;
  let page;
  if (path === '/console/operator') page = operator ? <Operator /> : <Empty icon="lock" title={t('common.notFound')} />;
  else if (path === '/console/operator/analytics') page = operator ? <PlatformAnalytics /> : <Empty icon="lock" title={t('common.notFound')} />;
  else if (path === '/console/new-shop') page = <NewShop onOpened={opened} />;
  // A merchant with no shop opens one; a list that did not load is not an empty one.
  else if (!shop) page = shops.error ? <Failure error={shops.error} onRetry={shops.reload} /> : shops.loading ? <Spinner /> : <NewShop onOpened={opened} first />;
  else if (path === '/console' || path === '/console/') page = <ShopOverview shop={shop} />;
  else if (path === '/console/products') page = <Products shop={shop} />;
  else if (path === '/console/live') page = <LiveSessions shop={shop} />;
  else if ((params = match('/console/live/:id', path))) page = <LiveControl key={params.id} shop={shop} id={params.id} />;
  else if ((params = match('/console/live/:id/analytics', path))) page = <LiveAnalytics key={params.id} id={params.id} />;
  else if (path === '/console/orders') page = <ShopOrders shop={shop} />;
  else if (path === '/console/aftersales') page = <AfterSalesQueue shop={shop} />;
  else if ((params = match('/console/aftersales/:id', path))) page = <AfterSalesDetail key={params.id} id={params.id} />;
  else if (path === '/console/stats') page = <Stats shop={shop} />;
  else if (path === '/console/analytics') page = <ShopAnalytics key={shop.id} shop={shop} />;
  else if (path === '/console/offers') page = <Offers shop={shop} />;
  else if (path === '/console/videos') page = <Videos shop={shop} />;
  else if (path === '/console/embeds') page = <EmbedSettings key={shop.id} shop={shop} />;
  else if (path === '/console/webhooks') page = <Webhooks key={shop.id} shop={shop} />;
  else if (path === '/console/api-keys') page = <ApiKeys key={shop.id} shop={shop} />;
  else page = <Empty icon="compass" title={t('common.notFound')} />;

  const nav = (href: string, label: string, exact = false) => (
    <Link class={(exact ? path === href : path.startsWith(href)) ? 'side-link active' : 'side-link'} href={href}>
      {label}
    </Link>
  );

  return (
    <div class="console">
      <aside class="side">
        <Link class="brand" href="/console">
          Hawker <small>{t('console.brand')}</small>
        </Link>
        <Loaded resource={shops}>
          {(all) =>
            all.length > 0 && (
              <select class="shop-switch" aria-label={t('console.shop')} value={shop?.id} onChange={(e) => choose(e.currentTarget.value)}>
                {all.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
            )
          }
        </Loaded>
        <nav aria-label={t('nav.main')}>
          {nav('/console', t('console.nav.shop'), true)}
          {nav('/console/products', t('console.nav.products'))}
          {nav('/console/live', t('console.nav.live'))}
          {nav('/console/videos', t('console.nav.videos'))}
          {nav('/console/orders', t('console.nav.orders'))}
          {nav('/console/aftersales', t('console.nav.aftersales'))}
          {nav('/console/stats', t('console.nav.stats'))}
          {nav('/console/analytics', t('console.nav.analytics'))}
          {nav('/console/offers', t('offers.nav'))}
          {nav('/console/embeds', t('embeds.nav'))}
          {nav('/console/webhooks', t('webhooks.nav'))}
          {nav('/console/api-keys', t('apikeys.nav'))}
          {operator && nav('/console/operator', t('console.nav.operator'))}
        </nav>
        <div class="side-foot">
          <LanguageSwitch />
          <span class="muted">@{session.user?.handle}</span>
          <a href="/">{t('console.buyerApp')}</a>
          <button class="btn btn-small" onClick={signOut}>
            {t('auth.signOut')}
          </button>
        </div>
      </aside>
      <main class="console-main">{page}</main>
    </div>
  );
}
