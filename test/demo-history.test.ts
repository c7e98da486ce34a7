// The demo's first shop has a month of trade behind it on a fresh start: its analytics show GMV over many days
// equal to its orders, its past live sessions show a dashboard with an online curve, a funnel, sources and paid
// orders, and every money row is as the flows write it (the ledger balances; stock sold is what was bought).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { nextMidnight } from '../src/modules/analytics/figures.ts';
import { DEMO_PASSWORD } from '../src/modules/demo/seed.ts';
import { freshStorage, ROOT, startNode } from './support/harness.ts';

const ADMIN = 'test-admin-token-0123456789';
const DAY = 86_400_000;
const FEE_BPS = 200;

describe('demo history', () => {
  it("shows the first demo shop's last 30 days in its analytics, equal to its orders, with past live sessions and balanced books", async () => {
    // A fresh start: a fresh database and, on PostgreSQL too, a data directory of its own (the analytics journal
    // and the tailer's watermarks live there).
    const storage = await freshStorage();
    const dataDir = storage.env.DATA_DIR ?? mkdtempSync(join(ROOT, '.tmp', 'demo-history-'));
    const node = await startNode({ SEED_DEMO: '1', ADMIN_TOKEN: ADMIN, PLATFORM_FEE_BPS: String(FEE_BPS), DATA_DIR: dataDir }, storage);
    try {
      const { api } = node;
      await node.hawker.ctx.analytics.settle();
      const login = await api.post('/auth/login', { handle: 'demo_merchant', password: DEMO_PASSWORD });
      assert.equal(login.status, 200);
      const token: string = login.body.token;
      const shops = (await api.get('/me/shops', token)).body.shops as { id: string; name: string }[];
      const shop = shops.find((s) => s.name.startsWith('山野茶铺'));
      assert.ok(shop, 'the demo merchant runs the tea shop');

      // The last 30 days at Shanghai's day boundaries, as the console asks.
      const to = nextMidnight('Asia/Shanghai', Date.now());
      const range = `from=${new Date(to - 30 * DAY).toISOString()}&to=${new Date(to).toISOString()}`;
      const a = await api.get(`/shops/${shop.id}/analytics?${range}&bucket=day&tz=Asia/Shanghai`, token);
      assert.equal(a.status, 200, JSON.stringify(a.body));
      const stats = await api.get(`/shops/${shop.id}/stats?${range}`, token);
      assert.equal(stats.status, 200, JSON.stringify(stats.body));
      const f = a.body.analytics;
      const s = stats.body.stats;

      assert.ok(s.orders >= 60 && s.orders <= 150, `paid orders: ${s.orders}`);
      assert.equal(f.paidOrders, s.orders);
      assert.equal(f.gmv, s.gmv, 'GMV equals the sum of the paid orders’ totals');
      assert.equal(f.buyers, s.buyers);
      assert.ok(s.refunded > 0 && s.refundedOrders >= 2, 'a few orders were refunded');
      assert.equal(f.refunded, s.refunded);
      assert.equal(f.verifiedGmv, s.verifiedGmv);
      assert.equal(f.series.length, 30);
      const sellingDays = f.series.filter((d: { gmv: number }) => d.gmv > 0).length;
      assert.ok(sellingDays >= 10, `GMV on ${sellingDays} days`);
      assert.equal(f.series.reduce((sum: number, d: { gmv: number }) => sum + d.gmv, 0), f.gmv);
      assert.ok(f.series.filter((d: { visitors: number }) => d.visitors > 0).length >= 25, 'visitors on most days');
      const channel = (name: string) => f.channels.find((c: { channel: string }) => c.channel === name) ?? { gmv: 0, paidOrders: 0 };
      for (const name of ['live', 'video', 'share', 'search', 'product']) assert.ok(channel(name).paidOrders > 0, `orders through ${name}`);
      assert.ok(f.newBuyers > 0 && f.returningBuyers >= 0 && f.repurchaseRate > 0);
      assert.ok(f.traffic.private > 0 && f.traffic.public > 0);
      assert.deepEqual(f.funnel.map((x: { step: string }) => x.step), ['visited', 'clicked', 'ordered', 'paid']);
      assert.ok(f.funnel.every((x: { users: number }) => x.users > 0));
      assert.ok(f.topProducts.length >= 3 && f.videos.length >= 1);
      assert.ok(s.privateTraffic.visits > 0 && s.privateTraffic.orders > 0);

      // Each past session's dashboard: viewers, an online curve, a funnel, sources and its paid orders, as its orders are.
      const sessions = (await api.get(`/shops/${shop.id}/live-sessions?limit=50`, token)).body.liveSessions as { id: string; status: string }[];
      const ended = sessions.filter((x) => x.status === 'ended');
      assert.ok(ended.length >= 3, `${ended.length} past sessions`);
      for (const x of ended) assert.ok(f.lives.some((l: { sessionId: string; gmv: number }) => l.sessionId === x.id && l.gmv > 0), `session ${x.id} among the shop's lives`);
      for (const session of ended) {
        const d = await api.get(`/live-sessions/${session.id}/analytics`, token);
        assert.equal(d.status, 200, JSON.stringify(d.body));
        const live = d.body.analytics.figures;
        const { rows } = await sql<{ n: string | number; gmv: string | number }>`
          select count(*) as n, coalesce(sum(total), 0) as gmv from orders where live_session_id = ${session.id} and paid_at is not null`.execute(node.hawker.ctx.db);
        assert.ok(live.views > live.uniqueViewers && live.uniqueViewers > 30, `views ${live.views}, viewers ${live.uniqueViewers}`);
        assert.ok(live.online.length >= 60, `an online curve of ${live.online.length} minutes`);
        assert.ok(live.peakOnline > 5);
        assert.ok(live.paidOrders > 0);
        assert.equal(live.paidOrders, Number(rows[0].n));
        assert.equal(live.gmv, Number(rows[0].gmv));
        assert.ok(live.watchMs > 0 && live.likes > 0 && live.comments > 0 && live.cardImpressions > live.cardClicks && live.cardClicks > 0);
        const funnel = live.funnel.map((x: { users: number }) => x.users);
        assert.equal(funnel.length, 5);
        assert.ok(funnel.every((n: number, i: number) => n > 0 && (i === 0 || n <= funnel[i - 1])), `funnel ${funnel}`);
        assert.ok(live.sources.length >= 3);
        assert.equal(live.sources.reduce((sum: number, x: { gmv: number }) => sum + x.gmv, 0), live.gmv);
      }

      // The platform sees the demo buyers' visits day by day.
      const platform = await api.get(`/admin/analytics?${range}`, ADMIN);
      assert.equal(platform.status, 200, JSON.stringify(platform.body));
      assert.ok(platform.body.analytics.daily.filter((d: { activeUsers: number }) => d.activeUsers > 0).length >= 25);
      assert.ok(platform.body.analytics.cohorts.length >= 4);

      // The books: balanced, and the platform's fee is exactly its share of what was paid and not refunded.
      const books = await api.get('/admin/ledger/trial-balance', ADMIN);
      assert.equal(books.status, 200);
      assert.equal(books.body.total, 0, 'trial balance');
      const { rows: kept } = await sql<{ total: number }>`
        select total from orders where shop_id = ${shop.id} and paid_at is not null and refunded_amount = 0`.execute(node.hawker.ctx.db);
      const fees = kept.reduce((sum, o) => sum + Math.floor((Number(o.total) * FEE_BPS) / 10_000), 0);
      const balance = (account: string) => books.body.accounts.find((x: { account: string }) => x.account === account)?.balance ?? 0;
      assert.equal(-balance('platform_fees'), fees);
      assert.equal(balance('provider_clearing:sandbox'), s.gmv - s.refunded);
      // Sharers earned commissions on the orders their links brought; those received more than a week ago settle
      // and are paid out by the platform's own job, and the books still balance.
      assert.ok(s.commissions.pending > 0, 'commissions booked at payment');
      await node.hawker.ctx.jobs.runNow('settle-commissions');
      const settled = (await api.get(`/shops/${shop.id}/stats?${range}`, token)).body.stats.commissions;
      assert.ok(settled.settled > 0, JSON.stringify(settled));
      const after = await api.get('/admin/ledger/trial-balance', ADMIN);
      assert.equal(after.body.total, 0, 'trial balance after settlement');

      // Stock: what each SKU sold is what its paid, unrefunded orders bought.
      const { rows: stock } = await sql<{ id: string; sold: number; bought: string | number; held: number }>`
        select k.id, k.sold, k.held, coalesce((select sum(i.quantity) from order_items i join orders o on o.id = i.order_id
          where i.sku_id = k.id and o.paid_at is not null and o.refunded_amount = 0), 0) as bought
        from skus k where k.shop_id = ${shop.id}`.execute(node.hawker.ctx.db);
      for (const k of stock) {
        assert.equal(k.sold, Number(k.bought), `sku ${k.id}`);
        assert.equal(k.held, 0);
      }
    } finally {
      await node.close();
      await storage.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
