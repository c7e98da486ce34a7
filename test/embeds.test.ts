// Embeddable cards (issue 19) over real HTTP: a product, a live session and a short video as the card pages a shop
// frames in its own site, in zh-CN and English, with their figures; 404 pages for what an anonymous buyer may not
// see; the frame-ancestors allow-list and its API; oEmbed; the loader script; and an order placed from a card
// (source embed) counted in the shop's analytics under the channel embed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { newId } from '../src/platform/ids.ts';
import { parseOrigin } from '../src/modules/embeds/settings.ts';
import { startNode, STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { ADDRESS, newKey, payOrder, shopWithProduct } from './support/shop.ts';

const ADMIN_TOKEN = 'operator-token-for-embed-tests';

describe(`embeddable cards (${STORAGE})`, () => {
  let node: TestNode;
  let fx: Awaited<ReturnType<typeof shopWithProduct>>;

  /** GET a page at the node's root (not under /api/v1). */
  const page = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${node.url}${path}`, { headers });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };

  /** A ready, public video of the shop (as the processing job leaves one), without running ffmpeg. */
  async function readyVideo(title: string, shopId: string | null, creatorId: string, skuId?: string, productId?: string): Promise<string> {
    const db = node.hawker.ctx.db;
    const id = newId('vid');
    const now = new Date();
    await db
      .insertInto('videos')
      .values({ id, kind: 'upload', creator_id: creatorId, shop_id: shopId, live_session_id: null, title, description: '', status: 'ready', failure_reason: null, media_prefix: `videos/${id}/r1`, duration_ms: 6000, width: 360, height: 640, taken_down_at: null, taken_down_by: null, take_down_reason: null, deleted_at: null, created_at: now, updated_at: now, ready_at: now })
      .execute();
    if (skuId && productId && shopId) await db.insertInto('video_products').values({ video_id: id, position: 0, sku_id: skuId, product_id: productId, shop_id: shopId, offer_id: null, pin_seconds: null }).execute();
    return id;
  }

  before(async () => {
    node = await startNode({ ADMIN_TOKEN });
    fx = await shopWithProduct(node.api, [
      { name: '250g', price: 1990, stock: 10 },
      { name: '500g', price: 3580, stock: 5 },
    ]);
  });
  after(() => node?.close());

  it('renders a product card with its price range, stock and a buy link into Hawker marked from=embed, in both languages', async () => {
    const zh = await page(`/embed/products/${fx.product.id}`, { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' });
    assert.equal(zh.status, 200);
    assert.match(zh.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
    assert.equal(zh.headers.get('cache-control'), 'public, max-age=30');
    assert.match(zh.headers.get('vary') ?? '', /Accept-Language/);
    assert.match(zh.text, /<html lang="zh-CN">/);
    assert.match(zh.text, /<h1 class="title">Green tea 绿茶<\/h1>/);
    assert.match(zh.text, /data-testid="embed-price">¥19\.90 – ¥35\.80</);
    assert.match(zh.text, /data-testid="embed-stock">仅剩 15 件</);
    assert.match(zh.text, /<p class="meta">Test Shop<\/p>/);
    const buy = new RegExp(`<a class="btn" href="${node.url}/p/${fx.product.id}\\?from=embed" target="_blank" rel="noopener" data-testid="embed-open">立即购买</a>`);
    assert.match(zh.text, buy);
    // Its oEmbed discovery link.
    const oembed = `${node.url}/oembed?url=${encodeURIComponent(`${node.url}/p/${fx.product.id}`)}&#38;format=json`;
    assert.ok(zh.text.includes(`<link rel="alternate" type="application/json+oembed" href="${oembed}"`), zh.text);

    const en = await page(`/embed/products/${fx.product.id}?lang=en`, { 'accept-language': 'zh-CN' });
    assert.match(en.text, /<html lang="en">/);
    assert.match(en.text, /data-testid="embed-stock">15 left</);
    assert.match(en.text, />Buy now<\/a>/);
    // No language asked for and none recognised: English, as the apps.
    assert.match((await page(`/embed/products/${fx.product.id}`, { 'accept-language': 'fr-FR, de;q=0.5' })).text, /<html lang="en">/);
    assert.match((await page(`/embed/products/${fx.product.id}`, { 'accept-language': 'fr;q=0.9, zh-TW;q=0.8' })).text, /<html lang="zh-CN">/);
  });

  it('escapes what a shop wrote, and says sold out when no unit is left', async () => {
    const evil = '<script>alert(1)</script>"\'&';
    const made = await node.api.post(`/shops/${fx.shop.id}/products`, { title: evil, skus: [{ name: 'one', price: 500, stock: 0 }], images: ['https://img.example.com/a.jpg?x="><script>'] }, fx.merchant.token);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const r = await page(`/embed/products/${made.body.product.id}?lang=zh-CN`);
    assert.equal(r.status, 200);
    assert.ok(!r.text.includes('<script>alert'), 'the title is escaped');
    assert.ok(r.text.includes('&#60;script&#62;alert(1)&#60;/script&#62;&#34;&#39;&#38;'));
    assert.ok(r.text.includes('src="https://img.example.com/a.jpg?x=&#34;&#62;&#60;script&#62;"'));
    assert.equal((r.text.match(/<script>/g) ?? []).length, 1, 'only the card’s own script');
    assert.match(r.text, /data-testid="embed-price">¥5\.00</);
    assert.match(r.text, /class="stock out" data-testid="embed-stock">已售罄</);
    assert.match(r.text, /class="btn quiet"[^>]*>去看看</);
  });

  it('answers a 404 page, not a 5xx, for an unknown, draft or delisted product and for a suspended shop’s cards', async () => {
    const notFound = async (path: string) => {
      const r = await page(path);
      assert.equal(r.status, 404, `${path}: ${r.status}`);
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(r.text, /data-kind="none"/);
      // The same headers whatever the reason: a 404 says nothing of whose it was.
      assert.match(r.headers.get('content-security-policy') ?? '', /frame-ancestors \*$/);
      return r;
    };
    await notFound('/embed/products/prd_nope');
    await notFound('/embed/live/lsn_nope');
    await notFound('/embed/videos/vid_nope');
    const draft = await node.api.post(`/shops/${fx.shop.id}/products`, { title: 'Secret', status: 'draft', skus: [{ name: 'one', price: 500, stock: 3 }] }, fx.merchant.token);
    assert.equal(draft.status, 201, JSON.stringify(draft.body));
    await notFound(`/embed/products/${draft.body.product.id}`);
    assert.equal((await node.api.call('PATCH', `/products/${draft.body.product.id}`, { body: { status: 'listed' }, token: fx.merchant.token })).status, 200);
    assert.equal((await page(`/embed/products/${draft.body.product.id}`)).status, 200);
    assert.equal((await node.api.call('PATCH', `/products/${draft.body.product.id}`, { body: { status: 'delisted' }, token: fx.merchant.token })).status, 200);
    assert.match((await notFound(`/embed/products/${draft.body.product.id}`)).text, /This is no longer available/);

    // A shop of its own, suspended: its product, live session and video have no card.
    const other = await shopWithProduct(node.api);
    const live = await node.api.post(`/shops/${other.shop.id}/live-sessions`, { title: 'Night market' }, other.merchant.token);
    const video = await readyVideo('Unboxing', other.shop.id, other.merchant.user.id, other.skuIds[0], other.product.id);
    for (const path of [`/embed/products/${other.product.id}`, `/embed/live/${live.body.liveSession.id}`, `/embed/videos/${video}`]) assert.equal((await page(path)).status, 200, path);
    const suspended = await node.api.post(`/shops/${other.shop.id}/status`, { status: 'suspended', reason: 'test' }, ADMIN_TOKEN);
    assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
    for (const path of [`/embed/products/${other.product.id}`, `/embed/live/${live.body.liveSession.id}`, `/embed/videos/${video}`]) await notFound(path);
    // A video taken down or deleted has no card either.
    const gone = await readyVideo('Gone', fx.shop.id, fx.merchant.user.id);
    assert.equal((await page(`/embed/videos/${gone}`)).status, 200);
    await node.hawker.ctx.db.updateTable('videos').set({ taken_down_at: new Date(), take_down_reason: 'test' }).where('id', '=', gone).execute();
    await notFound(`/embed/videos/${gone}`);
  });

  it('shows a live session as scheduled, live with its viewers and pinned drop, and ended', async () => {
    const made = await node.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: 'Spring tea <live>' }, fx.merchant.token);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const id = made.body.liveSession.id;
    let r = await page(`/embed/live/${id}?lang=en`);
    assert.equal(r.status, 200);
    assert.match(r.text, /<h1 class="title">Spring tea &#60;live&#62;<\/h1>/);
    assert.match(r.text, /data-testid="embed-live" data-status="scheduled"><span class="badge scheduled">Upcoming/);
    assert.ok(!r.text.includes('embed-price'), 'nothing on sale yet');

    assert.equal((await node.api.post(`/live-sessions/${id}/start`, {}, fx.merchant.token)).status, 200);
    const drop = await node.api.post(`/live-sessions/${id}/drops`, { skuId: fx.skuIds[0], quantity: 3, price: 1500 }, fx.merchant.token);
    assert.equal(drop.status, 201, JSON.stringify(drop.body));
    r = await page(`/embed/live/${id}?lang=zh-CN`);
    assert.match(r.text, /data-status="live"><span class="badge live">直播中<\/span><span class="stock">0 人在看<\/span>/);
    assert.match(r.text, /data-testid="embed-price">¥15\.00</);
    assert.match(r.text, /data-testid="embed-stock">仅剩 3 件</);
    assert.match(r.text, new RegExp(`href="${node.url}/room/${id}\\?from=embed"[^>]*>进入直播间</a>`));

    assert.equal((await node.api.post(`/live-sessions/${id}/end`, {}, fx.merchant.token)).status, 200);
    r = await page(`/embed/live/${id}?lang=en`);
    assert.match(r.text, /data-status="ended"><span class="badge">Ended/);
  });

  it('shows a short video with its creator and what it sells, opening /v/:id from=embed', async () => {
    const id = await readyVideo('How to brew 泡茶', fx.shop.id, fx.merchant.user.id, fx.skuIds[1], fx.product.id);
    const r = await page(`/embed/videos/${id}?lang=en`);
    assert.equal(r.status, 200);
    assert.match(r.text, new RegExp(`<p class="meta">Test Shop · @${fx.merchant.user.handle}</p>`));
    assert.match(r.text, /data-testid="embed-price">¥35\.80</);
    assert.match(r.text, new RegExp(`<img src="${node.url}/media/videos/${id}/r1/cover.jpg"`));
    assert.match(r.text, new RegExp(`href="${node.url}/v/${id}\\?from=embed"[^>]*>Watch</a>`));
  });

  it('lets only the shop’s own sites frame its cards: frame-ancestors from the allow-list, X-Frame-Options only while it is empty', async () => {
    const path = `/embed/products/${fx.product.id}`;
    let r = await page(path);
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'self'$/);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.equal(r.headers.get('x-frame-options'), 'SAMEORIGIN');

    const put = await node.api.call('PUT', `/shops/${fx.shop.id}/embed-settings`, {
      body: { allowedOrigins: ['https://Blog.Example.com/', 'http://localhost:8080', 'https://blog.example.com', 'https://xn--fiqs8s.example:8443'] },
      token: fx.merchant.token,
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body.embedSettings.allowedOrigins, ['https://blog.example.com', 'http://localhost:8080', 'https://xn--fiqs8s.example:8443']);
    assert.ok(Date.parse(put.body.embedSettings.updatedAt) > 0);
    r = await page(path);
    assert.match(r.headers.get('content-security-policy') ?? '', /; frame-ancestors 'self' https:\/\/blog\.example\.com http:\/\/localhost:8080 https:\/\/xn--fiqs8s\.example:8443$/);
    assert.equal(r.headers.get('x-frame-options'), null, 'X-Frame-Options cannot name other sites');
    // The shop's live sessions and videos follow the same list.
    const live = await node.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: 'Listed sites' }, fx.merchant.token);
    assert.match((await page(`/embed/live/${live.body.liveSession.id}`)).headers.get('content-security-policy') ?? '', /frame-ancestors 'self' https:\/\/blog\.example\.com/);

    const got = await node.api.get(`/shops/${fx.shop.id}/embed-settings`, fx.merchant.token);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body.embedSettings.allowedOrigins, put.body.embedSettings.allowedOrigins);
    // Emptied again: back to Hawker only.
    assert.equal((await node.api.call('PUT', `/shops/${fx.shop.id}/embed-settings`, { body: { allowedOrigins: [] }, token: fx.merchant.token })).status, 200);
    assert.equal((await page(path)).headers.get('x-frame-options'), 'SAMEORIGIN');
  });

  it('refuses what is not exactly an origin, more than 50 sites, and other people’s shops (404), changing nothing', async () => {
    const settingsPath = `/shops/${fx.shop.id}/embed-settings`;
    const put = (allowedOrigins: unknown, token = fx.merchant.token) => node.api.call('PUT', settingsPath, { body: { allowedOrigins }, token });
    assert.equal((await put(['https://shop.example.com'])).status, 200);
    for (const bad of [
      'shop.example.com', 'ftp://shop.example.com', 'javascript:alert(1)', 'https://shop.example.com/path', 'https://shop.example.com?x=1',
      'https://shop.example.com#x', 'https://*.example.com', "https://shop.example.com 'unsafe-inline'", 'https://a;b.com', 'https://a,b.com',
      'https://user@shop.example.com', 'https://', 'https://shop.example.com:99999', 'https://sh op.com', "https://x'.com", 'data:text/html,hi', '*',
    ]) {
      const r = await put([bad]);
      assert.equal(r.status, 400, `${bad}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'invalid_request');
    }
    assert.equal((await put(Array.from({ length: 51 }, (_, i) => `https://s${i}.example.com`))).status, 400);
    assert.equal((await put(Array.from({ length: 50 }, (_, i) => `https://s${i}.example.com`))).status, 200);
    assert.equal((await put('https://shop.example.com')).status, 400);
    assert.equal((await node.api.call('PUT', settingsPath, { body: {}, token: fx.merchant.token })).status, 400);
    assert.equal((await node.api.get(settingsPath, fx.merchant.token)).body.embedSettings.allowedOrigins.length, 50, 'the refusals changed nothing');

    // Another shop's owner and a buyer are told the shop does not exist; nobody signed in is told to sign in.
    const stranger = await shopWithProduct(node.api);
    const buyer = await node.api.user();
    for (const token of [stranger.merchant.token, buyer.token]) {
      const got = await node.api.get(settingsPath, token);
      assert.equal(got.status, 404, JSON.stringify(got.body));
      assert.equal(got.body.error.code, 'not_found');
      assert.equal((await put(['https://evil.example.com'], token)).status, 404);
    }
    assert.equal((await node.api.get(settingsPath)).status, 401);
    assert.equal((await node.api.get('/shops/shp_nope/embed-settings', ADMIN_TOKEN)).status, 404);
    // Staff manage it as the owner does.
    const staff = await node.api.user();
    assert.equal((await node.api.post(`/shops/${fx.shop.id}/staff`, { handle: staff.user.handle }, fx.merchant.token)).status, 201);
    assert.equal((await put(['https://staff.example.com'], staff.token)).status, 200);
    assert.deepEqual((await node.api.get(settingsPath, fx.merchant.token)).body.embedSettings.allowedOrigins, ['https://staff.example.com']);
    await put([]);
  });

  it('parses origins strictly', () => {
    assert.equal(parseOrigin('https://EXAMPLE.com'), 'https://example.com');
    assert.equal(parseOrigin('https://example.com:443'), 'https://example.com');
    assert.equal(parseOrigin('http://127.0.0.1:3000/'), 'http://127.0.0.1:3000');
    assert.equal(parseOrigin('http://[::1]:8080'), 'http://[::1]:8080');
    assert.equal(parseOrigin('https://例子.example'), 'https://xn--fsqu00a.example');
    for (const bad of ['https://exa mple.com', 'https://example.com//', 'https://example.com/a', 'https://ex"ample.com', 'https://-bad-.com', 'HTTPS//example.com']) {
      assert.equal(parseOrigin(bad), null, bad);
    }
  });

  it('answers oEmbed for product, live and video URLs, as JSON or XML; 404 for what has no card or is not Hawker’s', async () => {
    const oembed = (query: string) => fetch(`${node.url}/oembed?${query}`).then(async (r) => ({ status: r.status, headers: r.headers, body: await r.json() }));
    const productUrl = `${node.url}/p/${fx.product.id}`;
    const r = await oembed(`url=${encodeURIComponent(productUrl)}&format=json`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.deepEqual(r.body, {
      version: '1.0',
      type: 'rich',
      title: 'Green tea 绿茶',
      provider_name: 'Hawker',
      provider_url: `${node.url}/`,
      cache_age: 30,
      width: 480,
      height: 150,
      html: `<iframe src="${node.url}/embed/products/${fx.product.id}" width="480" height="150" title="Green tea 绿茶 · Hawker" loading="lazy" scrolling="no" style="border:0;max-width:100%"></iframe>`,
    });
    // maxwidth and maxheight are kept to; the card's own URL works as well as the buyer page's.
    const small = await oembed(`url=${encodeURIComponent(`${node.url}/embed/products/${fx.product.id}?lang=en`)}&maxwidth=320&maxheight=100`);
    assert.equal(small.status, 200);
    assert.deepEqual([small.body.width, small.body.height], [320, 100]);
    assert.match(small.body.html, /width="320" height="100"/);

    const live = await node.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: 'oEmbed live' }, fx.merchant.token);
    const liveAnswer = await oembed(`url=${encodeURIComponent(`${node.url}/room/${live.body.liveSession.id}`)}`);
    assert.equal(liveAnswer.status, 200);
    assert.match(liveAnswer.body.html, new RegExp(`src="${node.url}/embed/live/${live.body.liveSession.id}"`));
    const video = await readyVideo('oEmbed video', fx.shop.id, fx.merchant.user.id);
    assert.match((await oembed(`url=${encodeURIComponent(`${node.url}/v/${video}`)}`)).body.html, new RegExp(`/embed/videos/${video}"`));

    for (const url of [`${node.url}/p/prd_nope`, `https://elsewhere.example/p/${fx.product.id}`, `${node.url}/orders/${fx.product.id}`, 'not a url', `${node.url}/`]) {
      const miss = await oembed(`url=${encodeURIComponent(url)}`);
      assert.equal(miss.status, 404, url);
      assert.equal(miss.body.error.code, 'not_found');
    }
    // format=xml: the same fields as elements, the iframe markup escaped as text.
    const xml = await fetch(`${node.url}/oembed?url=${encodeURIComponent(productUrl)}&format=xml`);
    assert.equal(xml.status, 200);
    assert.match(xml.headers.get('content-type') ?? '', /^text\/xml/);
    assert.equal(xml.headers.get('access-control-allow-origin'), '*');
    assert.equal(
      await xml.text(),
      `<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<oembed><version>1.0</version><type>rich</type><title>Green tea 绿茶</title>` +
        `<provider_name>Hawker</provider_name><provider_url>${node.url}/</provider_url><cache_age>30</cache_age><width>480</width><height>150</height>` +
        `<html>&#60;iframe src=&#34;${node.url}/embed/products/${fx.product.id}&#34; width=&#34;480&#34; height=&#34;150&#34; title=&#34;Green tea 绿茶 · Hawker&#34; loading=&#34;lazy&#34; scrolling=&#34;no&#34; style=&#34;border:0;max-width:100%&#34;&#62;&#60;/iframe&#62;</html></oembed>\n`,
    );
    assert.equal((await oembed(`url=${encodeURIComponent(`${node.url}/p/prd_nope`)}&format=xml`)).status, 404);
    assert.equal((await oembed(`url=${encodeURIComponent(productUrl)}&format=yaml`)).status, 400);
    assert.equal((await oembed('format=json')).status, 400);
    assert.equal((await oembed(`url=${encodeURIComponent(productUrl)}&maxwidth=0`)).status, 400);
  });

  it('serves the loader script to any site', async () => {
    const r = await page('/embed.js');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(r.headers.get('cross-origin-resource-policy'), 'cross-origin');
    assert.match(r.text, /data-hawker-embed/);
    assert.match(r.text, /event\.origin !== origin/);
  });

  it('records an order placed from a card with the source embed, and counts its GMV in the channel embed', async () => {
    const buyer = await node.api.user();
    const placed = await node.api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 2 }], source: 'embed', address: ADDRESS }, buyer.token, { 'idempotency-key': newKey() });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const order = placed.body.order;
    const { rows } = await sql<{ traffic_source: string }>`select traffic_source from orders where id = ${order.id}`.execute(node.hawker.ctx.db);
    assert.equal(rows[0].traffic_source, 'embed');
    await payOrder(node.api, buyer.token, order.id);
    const channel = await waitFor(
      'the paid order in the shop’s figures',
      async () => {
        await node.hawker.ctx.jobs.runNow('analytics-tail');
        const a = await node.api.get(`/shops/${fx.shop.id}/analytics`, fx.merchant.token);
        assert.equal(a.status, 200, JSON.stringify(a.body));
        const c = a.body.analytics.channels.find((x: { channel: string }) => x.channel === 'embed');
        return c && c.paidOrders > 0 ? c : null;
      },
      15_000,
    );
    assert.deepEqual(channel, { channel: 'embed', gmv: 3980, paidOrders: 1 });
    // Any other source is still refused.
    const bad = await node.api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 1 }], source: 'iframe', address: ADDRESS }, buyer.token, { 'idempotency-key': newKey() });
    assert.equal(bad.status, 400);
  });
});
