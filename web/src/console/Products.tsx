// Products and their SKUs: create, list or delist, reprice, and adjust stock with a reason.
import { useState } from 'preact/hooks';
import { api, get, post } from '../shared/api.ts';
import { formatMoney, moneyInput, parseMoney } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import type { Product, Shop, Sku } from '../shared/types.ts';
import { Empty, errorText, Loaded, useResource, useSubmit } from '../shared/ui.tsx';
import { EmbedSnippet } from './EmbedSnippet.tsx';

export function Products({ shop }: { shop: Shop }) {
  const products = useResource((signal) => get<{ products: Product[] }>(`/shops/${shop.id}/products?limit=200`, signal).then((r) => r.products), [shop.id]);
  const [creating, setCreating] = useState(false);
  return (
    <>
      <header class="page-head">
        <h1>{t('products.title')}</h1>
        <button class="btn btn-primary" onClick={() => setCreating(!creating)} data-testid="new-product">
          {creating ? t('common.close') : t('products.new')}
        </button>
      </header>
      {creating && (
        <NewProduct
          shop={shop}
          onCreated={() => {
            setCreating(false);
            products.reload();
          }}
        />
      )}
      <Loaded resource={products}>
        {(list) =>
          list.length === 0 ? (
            <Empty icon="box" title={t('products.empty')} hint={t('products.emptyHint')} />
          ) : (
            list.map((p) => <ProductPanel key={p.id} product={p} onChanged={products.reload} />)
          )
        }
      </Loaded>
    </>
  );
}

interface SkuDraft {
  name: string;
  price: string;
  stock: string;
}

function NewProduct({ shop, onCreated }: { shop: Shop; onCreated(): void }) {
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [image, setImage] = useState('');
  const [skus, setSkus] = useState<SkuDraft[]>([{ name: t('products.defaultSku'), price: '', stock: '10' }]);
  const { busy, error, setError, run: create } = useSubmit(async (parsed: { name: string; price: number | null; stock: number }[]) => {
    await post(`/shops/${shop.id}/products`, {
      title: title.trim(),
      ...(description.trim() ? { description: description.trim() } : {}),
      ...(image.trim() ? { images: [image.trim()] } : {}),
      skus: parsed,
    });
    onCreated();
  });

  const setSku = (i: number, patch: Partial<SkuDraft>) => setSkus(skus.map((s, j) => (j === i ? { ...s, ...patch } : s)));

  const submit = (e: Event) => {
    e.preventDefault();
    const parsed = skus.map((s) => ({ name: s.name.trim(), price: parseMoney(s.price), stock: Number(s.stock) }));
    if (parsed.some((s) => s.price === null || s.price < 1)) return setError(t('products.badPrice'));
    if (parsed.some((s) => !Number.isInteger(s.stock) || s.stock < 0)) return setError(t('products.badStock'));
    void create(parsed);
  };

  return (
    <form class="panel" onSubmit={submit} data-testid="product-form">
      <h2>{t('products.new')}</h2>
      <label>
        {t('products.productTitle')}
        <input name="title" required maxLength={200} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
      <label>
        {t('products.description')}
        <textarea name="description" maxLength={5000} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <label>
        {t('products.image')}
        <input name="image" type="url" placeholder="https://" value={image} onInput={(e) => setImage(e.currentTarget.value)} />
      </label>
      <table class="table">
        <thead>
          <tr>
            <th>{t('products.skuName')}</th>
            <th>{t('products.price')}</th>
            <th>{t('products.stock')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {skus.map((s, i) => (
            <tr key={i}>
              <td>
                <input name={`sku-name-${i}`} required maxLength={100} value={s.name} onInput={(e) => setSku(i, { name: e.currentTarget.value })} />
              </td>
              <td>
                <input name={`sku-price-${i}`} required inputMode="decimal" placeholder="0.00" value={s.price} onInput={(e) => setSku(i, { price: e.currentTarget.value })} />
              </td>
              <td>
                <input name={`sku-stock-${i}`} required type="number" min={0} value={s.stock} onInput={(e) => setSku(i, { stock: e.currentTarget.value })} />
              </td>
              <td>
                {skus.length > 1 && (
                  <button type="button" class="btn btn-small" onClick={() => setSkus(skus.filter((_, j) => j !== i))}>
                    <Icon name="x" size={14} />
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" class="btn btn-small" onClick={() => setSkus([...skus, { name: '', price: '', stock: '0' }])}>
        + {t('products.addSku')}
      </button>
      {error !== null && <p class="form-error">{errorText(error)}</p>}
      <div class="actions">
        <button class="btn btn-primary" type="submit" disabled={busy} data-testid="create-product">
          {t('products.create')}
        </button>
      </div>
    </form>
  );
}

function ProductPanel({ product, onChanged }: { product: Product; onChanged(): void }) {
  const [adding, setAdding] = useState(false);
  const { error, run: setStatus } = useSubmit(async (status: Product['status']) => {
    await api('PATCH', `/products/${product.id}`, { body: { status } });
    onChanged();
  });
  return (
    <section class="panel" data-testid="product">
      <header class="panel-head">
        <h2>
          <a href={`/p/${product.id}`} target="_blank" rel="noopener">
            {product.title}
          </a>
        </h2>
        <EmbedSnippet kind="product" id={product.id} title={product.title} />
        <select aria-label={t('products.status')} value={product.status} onChange={(e) => setStatus(e.currentTarget.value as Product['status'])}>
          {(['draft', 'listed', 'delisted'] as const).map((s) => (
            <option key={s} value={s}>
              {t(`products.statuses.${s}`)}
            </option>
          ))}
        </select>
      </header>
      {error !== null && <p class="form-error">{errorText(error)}</p>}
      <div class="table-wrap">
        <table class="table">
          <thead>
            <tr>
              <th>{t('products.skuName')}</th>
              <th>{t('products.price')}</th>
              <th>{t('products.stocked')}</th>
              <th>{t('products.held')}</th>
              <th>{t('products.sold')}</th>
              <th>{t('products.available')}</th>
              <th>{t('products.adjust')}</th>
            </tr>
          </thead>
          <tbody>
            {product.skus.map((s) => (
              <SkuRow key={s.id} sku={s} onChanged={onChanged} />
            ))}
          </tbody>
        </table>
      </div>
      {adding ? (
        <AddSku
          productId={product.id}
          onDone={() => {
            setAdding(false);
            onChanged();
          }}
        />
      ) : (
        <button class="btn btn-small" onClick={() => setAdding(true)}>
          + {t('products.addSku')}
        </button>
      )}
    </section>
  );
}

function SkuRow({ sku, onChanged }: { sku: Sku; onChanged(): void }) {
  const [price, setPrice] = useState(moneyInput(sku.price));
  const [delta, setDelta] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);

  const savePrice = async () => {
    const fen = parseMoney(price);
    if (fen === null || fen < 1) return setError(t('products.badPrice'));
    if (fen === sku.price) return;
    setError(null);
    try {
      await api('PATCH', `/skus/${sku.id}`, { body: { price: fen } });
      onChanged();
    } catch (err) {
      setError(errorText(err));
    }
  };

  const adjust = async (e: Event) => {
    e.preventDefault();
    const n = Number(delta);
    if (!Number.isInteger(n) || n === 0) return setError(t('products.badDelta'));
    setError(null);
    try {
      await post(`/skus/${sku.id}/stock-adjustments`, { delta: n, reason: reason.trim() || (n > 0 ? t('products.restock') : t('products.writeOff')) });
      setDelta('');
      setReason('');
      onChanged();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <tr data-testid="sku-row">
      <td>{sku.name}</td>
      <td>
        <div class="inline">
          <input class="input-price" aria-label={t('products.price')} inputMode="decimal" value={price} onInput={(e) => setPrice(e.currentTarget.value)} onBlur={savePrice} />
          <span class="muted">{formatMoney(sku.price)}</span>
        </div>
      </td>
      <td>{sku.stock?.stocked ?? '—'}</td>
      <td>{sku.stock?.held ?? '—'}</td>
      <td>{sku.stock?.sold ?? '—'}</td>
      <td>
        <strong>{sku.available}</strong>
      </td>
      <td>
        <form class="inline" onSubmit={adjust}>
          <input class="input-delta" aria-label={t('products.delta')} type="number" placeholder="+10 / -2" value={delta} onInput={(e) => setDelta(e.currentTarget.value)} />
          <input class="input-reason" aria-label={t('products.reason')} placeholder={t('products.reason')} maxLength={200} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          <button class="btn btn-small" type="submit">
            {t('common.save')}
          </button>
        </form>
        {error && <p class="form-error">{error}</p>}
      </td>
    </tr>
  );
}

function AddSku({ productId, onDone }: { productId: string; onDone(): void }) {
  const [name, setName] = useState('');
  const [price, setPrice] = useState('');
  const [stock, setStock] = useState('0');
  const { error, setError, run: add } = useSubmit(async (fen: number) => {
    await post(`/products/${productId}/skus`, { name: name.trim(), price: fen, stock: Number(stock) });
    onDone();
  });
  const submit = (e: Event) => {
    e.preventDefault();
    const fen = parseMoney(price);
    if (fen === null || fen < 1) return setError(t('products.badPrice'));
    void add(fen);
  };
  return (
    <form class="inline" onSubmit={submit}>
      <input required placeholder={t('products.skuName')} maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <input required placeholder={t('products.price')} inputMode="decimal" value={price} onInput={(e) => setPrice(e.currentTarget.value)} />
      <input required type="number" min={0} placeholder={t('products.stock')} value={stock} onInput={(e) => setStock(e.currentTarget.value)} />
      <button class="btn btn-small btn-primary" type="submit">
        {t('common.save')}
      </button>
      {error !== null && <p class="form-error">{errorText(error)}</p>}
    </form>
  );
}
