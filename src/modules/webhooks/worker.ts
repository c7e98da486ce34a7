// Sends what the triggers wrote: claims due deliveries in batches (FOR UPDATE SKIP LOCKED and a lease, so one
// node at a time sends each, and a dead node's claims come back), a few at a time per endpoint (a slow receiver
// holds up only its own), and writes the results in batches. At least once: a result not yet written when the
// node dies is sent again, with the same webhook-id.
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Db } from '../../adapters/db/index.ts';
import type { AppContext } from '../../platform/context.ts';
import { payloadOf } from './service.ts';
import { nextDelayMs, retryAfterSeconds } from './schedule.ts';
import { signatureHeader } from './signing.ts';
import { postTo, type PostResult } from './target.ts';

/** Deliveries one node sends at once to one endpoint, and in all. */
const PER_ENDPOINT = 32;
const IN_FLIGHT = 1024;
/** How long a claim lasts: longer than a send can take (10 s), so only a dead node's claims expire. */
const LEASE_MS = 30_000;
/** How often the queue is looked at when nothing woke the worker (a change committed on another node, a retry due). */
const POLL_MS = 200;
const CLAIM_GAP_MS = 10;

interface Claimed {
  id: number;
  event_id: string;
  endpoint_id: string;
  attempts: number;
  type: string;
  data: unknown;
  event_created_at: Date;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
}

interface Outcome {
  id: number;
  endpointId: string;
  attempt: number;
  at: Date;
  result: PostResult;
  status: 'pending' | 'succeeded' | 'failed';
  nextAt: Date | null;
  gone: boolean;
}

export class WebhookWorker {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private woken = false;
  private readonly inFlight = new Map<number, string>();
  private readonly perEndpoint = new Map<string, number>();
  private readonly sends = new Set<Promise<void>>();
  private outcomes: Outcome[] = [];
  private flushing: Promise<void> | null = null;

  /**
   * On a PostgreSQL server the sender has connections of its own: claims and results do not queue behind the
   * node's request traffic in the shared pool (embedded PGlite has one connection for everything).
   */
  private readonly db: Db;
  private readonly ownPool: pg.Pool | null;

  constructor(private readonly ctx: AppContext) {
    this.ownPool = ctx.config.databaseUrl ? new pg.Pool({ connectionString: ctx.config.databaseUrl, max: 2 }) : null;
    this.ownPool?.on('error', () => {
      // An idle client lost its connection; the pool replaces it on next use.
    });
    this.db = this.ownPool ? (new Kysely({ dialect: new PostgresDialect({ pool: this.ownPool }) }) as unknown as Db) : ctx.db;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** A change was committed on this node: look at the queue now rather than at the next poll. */
  nudge(): void {
    this.woken = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.nudge();
    await this.loop;
    // Sends under way get a moment; one cut short is sent again after its lease (at least once).
    await Promise.race([Promise.allSettled([...this.sends]), new Promise((r) => setTimeout(r, 2000))]);
    await this.flush().catch(() => undefined);
    if (this.ownPool) await this.db.destroy();
  }

  private async run(): Promise<void> {
    let last = 0;
    while (this.running) {
      let claimed = 0;
      // Claims at most every CLAIM_GAP_MS: under a stream of commits, each claim takes a batch rather than one.
      const gap = last + CLAIM_GAP_MS - performance.now();
      if (gap > 0) await new Promise((r) => setTimeout(r, gap));
      last = performance.now();
      try {
        if (this.inFlight.size < IN_FLIGHT) claimed = await this.claimAndSend(IN_FLIGHT - this.inFlight.size);
      } catch (err) {
        this.ctx.log.error({ err }, 'webhook claim failed');
      }
      if (claimed > 0 && this.inFlight.size < IN_FLIGHT) continue;
      if (!this.woken) await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
      this.woken = false;
    }
  }

  private async claimAndSend(room: number): Promise<number> {
    const now = this.ctx.clock.now();
    const busy = JSON.stringify(Object.fromEntries(this.perEndpoint));
    const mine = [...this.inFlight.keys()];
    const rows = (
      await sql<Claimed>`
        with locked as (
          select c.id from webhook_endpoints e
          cross join lateral (
            select d.id from webhook_deliveries d
            where d.endpoint_id = e.id and d.status = 'pending' and d.next_attempt_at <= ${now}
              and (d.lease_until is null or d.lease_until < ${now}) and not (d.id = any(${mine}::bigint[]))
            order by d.next_attempt_at
            limit greatest(0, ${PER_ENDPOINT} - coalesce((${busy}::jsonb ->> e.id)::int, 0))
            for update skip locked
          ) c
          where e.enabled
          limit ${Math.min(room, 500)}
        )
        update webhook_deliveries d set lease_until = ${new Date(now.getTime() + LEASE_MS)}
        from locked, webhook_events ev, webhook_endpoints e
        where d.id = locked.id and ev.id = d.event_id and e.id = d.endpoint_id
        returning d.id, d.event_id, d.endpoint_id, d.attempts, ev.type, ev.data, ev.created_at as event_created_at,
          e.url, e.secret, e.previous_secret, e.previous_secret_until`.execute(this.db)
    ).rows;
    for (const row of rows) {
      const id = Number(row.id);
      this.inFlight.set(id, row.endpoint_id);
      this.perEndpoint.set(row.endpoint_id, (this.perEndpoint.get(row.endpoint_id) ?? 0) + 1);
      const p = this.send({ ...row, id }).finally(() => this.sends.delete(p));
      this.sends.add(p);
    }
    return rows.length;
  }

  private async send(d: Claimed): Promise<void> {
    const body = JSON.stringify(payloadOf(d.type, d.event_created_at, d.data));
    const secrets = [d.secret];
    if (d.previous_secret && d.previous_secret_until && new Date(d.previous_secret_until).getTime() > this.ctx.clock.nowMs()) secrets.push(d.previous_secret);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Hawker-Webhooks/1',
      'webhook-id': d.event_id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(secrets, d.event_id, timestamp, body),
    };
    let result: PostResult;
    try {
      result = await postTo(new URL(d.url), this.ctx.config.webhooksAllowPrivate, headers, body);
    } catch (err) {
      result = { status: null, body: '', retryAfter: undefined, error: (err as Error).message, durationMs: 0 };
    }
    const at = this.ctx.clock.now();
    const attempt = d.attempts + 1;
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const gone = result.status === 410;
    this.freeSlot(d.endpoint_id);
    const delay = ok || gone ? null : nextDelayMs(attempt, Math.random(), retryAfterSeconds(result.retryAfter, Date.now()));
    this.outcomes.push({
      id: d.id,
      endpointId: d.endpoint_id,
      attempt,
      at,
      result,
      status: ok ? 'succeeded' : delay === null ? 'failed' : 'pending',
      nextAt: delay === null ? null : new Date(at.getTime() + delay),
      gone,
    });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = new Promise<void>((r) => setTimeout(r, 5))
      .then(() => this.flush())
      .catch((err) => this.ctx.log.error({ err }, 'webhook results not written; the deliveries are sent again after their lease'))
      .finally(() => {
        this.flushing = null;
        if (this.outcomes.length > 0) this.scheduleFlush();
      });
  }

  /** Writes the attempts finished so far in one transaction of multi-row statements, then frees their slots. */
  private async flush(): Promise<void> {
    const batch = this.outcomes.splice(0, 1000);
    if (batch.length === 0) return;
    const col = <T>(f: (o: Outcome) => T) => batch.map(f);
    const at = this.ctx.clock.now();
    try {
      await this.db.transaction().execute(async (trx) => {
        const r = sql`unnest(${col((o) => o.id)}::bigint[], ${col((o) => o.attempt)}::int[], ${col((o) => o.at.toISOString())}::timestamptz[],
          ${col((o) => o.result.durationMs)}::int[], ${col((o) => o.result.status)}::int[], ${col((o) => o.result.body || null)}::text[],
          ${col((o) => o.result.error)}::text[], ${col((o) => o.status)}::text[], ${col((o) => o.nextAt?.toISOString() ?? null)}::timestamptz[],
          ${col((o) => o.gone)}::boolean[], ${col((o) => o.endpointId)}::text[])
          as r(id, attempt, at, duration_ms, response_status, response_body, error, status, next_at, gone, endpoint_id)`;
        await sql`insert into webhook_attempts (delivery_id, attempt, at, duration_ms, response_status, response_body, error)
          select id, attempt, at, duration_ms, response_status, response_body, error from ${r}`.execute(trx);
        await sql`update webhook_deliveries d set status = r.status, attempts = r.attempt, next_attempt_at = r.next_at, lease_until = null,
            last_attempt_at = r.at, last_status = r.response_status, last_error = r.error
          from ${r} where d.id = r.id`.execute(trx);
        // Any success ends an endpoint's failing streak; a failure starts one if none is running.
        await sql`update webhook_endpoints e set failing_since = case when s.any_ok then null else coalesce(e.failing_since, s.first_fail) end
          from (select endpoint_id, bool_or(status = 'succeeded') as any_ok, min(at) filter (where status <> 'succeeded') as first_fail from ${r} group by endpoint_id) s
          where e.id = s.endpoint_id`.execute(trx);
        // 410 Gone, or a whole retry schedule with nothing but failures since: the endpoint is disabled, the shop told in the console.
        await sql`update webhook_endpoints e set enabled = false, disabled_at = ${at}, updated_at = ${at},
            disabled_reason = case when s.gone then 'gone' else 'failing' end
          from (select r.endpoint_id, bool_or(r.gone) as gone, min(d.created_at) as since
                from ${r} join webhook_deliveries d on d.id = r.id where r.gone or r.status = 'failed' group by r.endpoint_id) s
          where e.id = s.endpoint_id and e.enabled and (s.gone or (e.failing_since is not null and e.failing_since <= ${at}::timestamptz
            and not exists (select 1 from webhook_deliveries ok where ok.endpoint_id = e.id and ok.status = 'succeeded' and ok.last_attempt_at >= s.since)))`.execute(trx);
      });
    } catch (err) {
      // Not written: the leases run out and the deliveries are sent again (same webhook-id).
      this.release(batch);
      throw err;
    }
    this.release(batch);
    this.nudge();
  }

  /** The endpoint may take another send; the delivery itself stays this node's until its result is written. */
  private freeSlot(endpointId: string): void {
    const n = (this.perEndpoint.get(endpointId) ?? 1) - 1;
    if (n <= 0) this.perEndpoint.delete(endpointId);
    else this.perEndpoint.set(endpointId, n);
    this.nudge();
  }

  private release(batch: Outcome[]): void {
    for (const o of batch) this.inFlight.delete(o.id);
  }
}
