// A product page: pictures, description, SKUs with their price and what is left, and the buy sheet.
import { useEffect, useState } from 'preact/hooks';
import { get, useAuth } from '../shared/api.ts';
import { formatMoney } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import type { Product as ProductData } from '../shared/types.ts';
import { Empty, Loaded, useResource } from '../shared/ui.tsx';
import { arrivedFrom, recordProductView, type Source } from './analytics-events.ts';
import { BuySheet } from './BuySheet.tsx';
import { FollowButton } from './Follow.tsx';
import { ShareButton } from './ShareButton.tsx';
import './feed.css';

export function Product({ id }: { id: string }) {
  const product = useResource((signal) => get<{ product: ProductData }>(`/products/${id}`, signal).then((r) => r.product), [id]);
  // Where the buyer came from: counted with the page's view, and carried into an order placed from it.
  const [source] = useState(() => arrivedFrom({ type: 'product', id }));
  useEffect(() => recordProductView(id, source), [id]);
  return (
    <main class="page product">
      <Loaded resource={product}>{(p) => <ProductView product={p} source={source} onChanged={product.reload} />}</Loaded>
    </main>
  );
}

function ProductView({ product, source, onChanged }: { product: ProductData; source: Source; onChanged(): void }) {
  useAuth();
  const [buying, setBuying] = useState(false);
  const prices = product.skus.map((s) => s.price);
  const low = Math.min(...prices);
  const high = Math.max(...prices);
  const available = product.skus.reduce((n, s) => n + s.available, 0);
  const listed = product.status === 'listed';
  return (
    <>
      {product.images[0] ? <img class="product-image" src={product.images[0]} alt="" /> : <div class="product-image product-image-none"><Icon name="bag" size={64} /></div>}
      <section class="card">
        <div class="product-head">
          <h1 class="product-title">{product.title}</h1>
          <ShareButton target={{ type: 'product', id: product.id }} title={product.title} class="btn btn-small" />
        </div>
        <p class="product-price">{low === high ? formatMoney(low) : `${formatMoney(low)} – ${formatMoney(high)}`}</p>
        <ul class="sku-list">
          {product.skus.map((s) => (
            <li key={s.id}>
              <span>{s.name}</span>
              <span>{formatMoney(s.price)}</span>
              <span class={s.available === 0 ? 'muted' : ''}>{s.available === 0 ? t('product.soldOut') : t('product.available', { n: s.available })}</span>
            </li>
          ))}
        </ul>
      </section>
      <ShopRow shopId={product.shopId} />
      {product.description && (
        <section class="card">
          <h2>{t('product.description')}</h2>
          <p class="product-description">{product.description}</p>
        </section>
      )}
      {!listed && <Empty icon="ban" title={t('product.notListed')} />}
      <div class="buy-bar">
        <button class="btn btn-primary btn-block btn-big" disabled={!listed || available === 0} onClick={() => setBuying(true)} data-testid="buy">
          {available === 0 ? t('product.soldOut') : t('product.buyNow')}
        </button>
      </div>
      <BuySheet
        open={buying}
        onClose={() => {
          setBuying(false);
          onChanged();
        }}
        target={{ title: product.title, skus: product.skus, source }}
      />
    </>
  );
}

/** The shop that sells it, with its follow button. */
function ShopRow({ shopId }: { shopId: string }) {
  const shop = useResource((signal) => get<{ shop: { id: string; name: string } }>(`/shops/${encodeURIComponent(shopId)}`, signal).then((r) => r.shop), [shopId]);
  return (
    <section class="card row-item product-shop" data-testid="product-shop">
      <Icon name="bag" size={22} />
      <div class="row-main">
        <p class="row-title">{shop.data?.name ?? '…'}</p>
        <p class="row-meta">{t('follow.shop')}</p>
      </div>
      <FollowButton target={{ type: 'shop', id: shopId }} testId="shop-follow" showCount />
    </section>
  );
}
