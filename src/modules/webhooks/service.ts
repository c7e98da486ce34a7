// Endpoints a shop (or the operator) registers, their secrets and their delivery logs. Events themselves are
// written by the database triggers of 0130_webhooks.sql; sending is the worker's (worker.ts).
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { AppContext } from '../../platform/context.ts';
import { invalidRequest, notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { decodeCursor, encodeCursor } from '../../platform/pagination.ts';
import { MAX_ATTEMPTS, PAYLOAD_VERSION, PLATFORM_EVENT_TYPES, SHOP_EVENT_TYPES, TEST_EVENT_TYPE } from './schedule.ts';
import { newSecret } from './signing.ts';
import { parseTargetUrl, resolveTarget, TargetRefused } from './target.ts';

/** Whose endpoints: a shop's (its id) or the operator's platform endpoints. */
export type Audience = string;
export const PLATFORM: Audience = 'platform';

export interface EndpointRow {
  id: string;
  audience: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabled_reason: string | null;
  disabled_at: Date | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface EndpointView {
  id: string;
  shopId: string | null;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  disabledReasonCode: DisabledReason | null;
  disabledAt: string | null;
  previousSecretValidUntil: string | null;
  failingSince: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Why an endpoint stopped receiving (kept as this code; the console words it in the shop's language). */
export type DisabledReason = 'gone' | 'failing' | 'manual';
const DISABLED_REASONS: Record<DisabledReason, string> = {
  gone: 'the endpoint answered 410 Gone',
  failing: `every attempt failed for the whole retry schedule (${MAX_ATTEMPTS} attempts)`,
  manual: 'turned off by the shop',
};

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function endpointView(e: EndpointRow): EndpointView {
  return {
    id: e.id,
    shopId: e.audience === PLATFORM ? null : e.audience,
    url: e.url,
    description: e.description,
    events: e.events,
    enabled: e.enabled,
    disabledReason: e.disabled_reason === null ? null : (DISABLED_REASONS[e.disabled_reason as DisabledReason] ?? e.disabled_reason),
    disabledReasonCode: (e.disabled_reason as DisabledReason | null) ?? null,
    disabledAt: iso(e.disabled_at),
    previousSecretValidUntil: e.previous_secret_until && e.previous_secret ? iso(e.previous_secret_until) : null,
    failingSince: iso(e.failing_since),
    createdAt: iso(e.created_at)!,
    updatedAt: iso(e.updated_at)!,
  };
}

const MAX_ENDPOINTS = 20;

export const eventTypesOf = (audience: Audience): readonly string[] => (audience === PLATFORM ? PLATFORM_EVENT_TYPES : SHOP_EVENT_TYPES);

function checkEvents(audience: Audience, events: string[]): string[] {
  const allowed = eventTypesOf(audience);
  const unknown = events.filter((e) => !allowed.includes(e));
  if (unknown.length > 0) throw invalidRequest(`unknown event type(s) for this endpoint: ${unknown.join(', ')}; choose from ${allowed.join(', ')}`);
  return [...new Set(events)];
}

/** A registration's URL: well formed, http(s), and (unless private targets are allowed) resolving to public addresses only. */
async function checkUrl(ctx: AppContext, raw: string): Promise<string> {
  try {
    const url = parseTargetUrl(raw);
    await resolveTarget(url, ctx.config.webhooksAllowPrivate);
    return url.toString();
  } catch (err) {
    if (err instanceof TargetRefused) throw invalidRequest(err.message);
    throw err;
  }
}

async function endpointRow(db: Db, audience: Audience, id: string): Promise<EndpointRow> {
  const row = (await sql<EndpointRow>`select * from webhook_endpoints where id = ${id} and audience = ${audience}`.execute(db)).rows[0];
  if (!row) throw notFound('webhook endpoint');
  return row;
}

export async function createEndpoint(
  ctx: AppContext,
  audience: Audience,
  input: { url: string; events: string[]; description?: string },
): Promise<{ endpoint: EndpointView; secret: string }> {
  const events = checkEvents(audience, input.events);
  const url = await checkUrl(ctx, input.url);
  const count = (await sql<{ n: number }>`select count(*)::int as n from webhook_endpoints where audience = ${audience}`.execute(ctx.db)).rows[0].n;
  if (count >= MAX_ENDPOINTS) throw invalidRequest(`at most ${MAX_ENDPOINTS} endpoints`);
  const secret = newSecret();
  const now = ctx.clock.now();
  const row = (
    await sql<EndpointRow>`
      insert into webhook_endpoints (id, audience, url, description, events, secret, created_at, updated_at)
      values (${newId('whe')}, ${audience}, ${url}, ${input.description ?? ''}, ${events}::text[], ${secret}, ${now}, ${now})
      returning *`.execute(ctx.db)
  ).rows[0];
  return { endpoint: endpointView(row), secret };
}

export async function listEndpoints(db: Db, audience: Audience): Promise<EndpointView[]> {
  const rows = (await sql<EndpointRow>`select * from webhook_endpoints where audience = ${audience} order by id desc`.execute(db)).rows;
  return rows.map(endpointView);
}

export async function getEndpoint(db: Db, audience: Audience, id: string): Promise<EndpointView> {
  return endpointView(await endpointRow(db, audience, id));
}

/** Changes what was asked; enabling a disabled endpoint clears why it was disabled and its failing streak. */
export async function updateEndpoint(
  ctx: AppContext,
  audience: Audience,
  id: string,
  input: { url?: string; events?: string[]; description?: string; enabled?: boolean },
): Promise<EndpointView> {
  const current = await endpointRow(ctx.db, audience, id);
  const events = input.events === undefined ? current.events : checkEvents(audience, input.events);
  const url = input.url === undefined ? current.url : await checkUrl(ctx, input.url);
  const enabled = input.enabled ?? current.enabled;
  const reenabled = enabled && !current.enabled;
  const row = (
    await sql<EndpointRow>`
      update webhook_endpoints set url = ${url}, events = ${events}::text[], description = ${input.description ?? current.description},
        enabled = ${enabled},
        disabled_reason = case when ${enabled} then null when ${!current.enabled} then disabled_reason else 'manual' end,
        disabled_at = case when ${enabled} then null when ${!current.enabled} then disabled_at else ${ctx.clock.now()}::timestamptz end,
        failing_since = case when ${reenabled} then null else failing_since end,
        updated_at = ${ctx.clock.now()}
      where id = ${id} and audience = ${audience} returning *`.execute(ctx.db)
  ).rows[0];
  if (!row) throw notFound('webhook endpoint');
  return endpointView(row);
}

/** A new secret; the current one keeps signing beside it (two v1 signatures) for `graceSeconds`. */
export async function rotateSecret(ctx: AppContext, audience: Audience, id: string, graceSeconds: number): Promise<{ endpoint: EndpointView; secret: string }> {
  const secret = newSecret();
  const until = new Date(ctx.clock.nowMs() + graceSeconds * 1000);
  const row = (
    await sql<EndpointRow>`
      update webhook_endpoints set previous_secret = case when ${graceSeconds} > 0 then secret else null end,
        previous_secret_until = case when ${graceSeconds} > 0 then ${until}::timestamptz else null end,
        secret = ${secret}, updated_at = ${ctx.clock.now()}
      where id = ${id} and audience = ${audience} returning *`.execute(ctx.db)
  ).rows[0];
  if (!row) throw notFound('webhook endpoint');
  return { endpoint: endpointView(row), secret };
}

export async function deleteEndpoint(db: Db, audience: Audience, id: string): Promise<void> {
  const r = await sql`delete from webhook_endpoints where id = ${id} and audience = ${audience}`.execute(db);
  if (Number(r.numAffectedRows ?? 0) === 0) throw notFound('webhook endpoint');
}

/** What an endpoint receives: Standard Webhooks' type, timestamp and data, and the shape's version. */
export interface Payload {
  type: string;
  timestamp: string;
  version: number;
  data: Record<string, unknown>;
}

export interface DeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastResponseStatus: number | null;
  lastError: string | null;
  createdAt: string;
  payload: Payload;
  log: { attempt: number; at: string; durationMs: number; responseStatus: number | null; responseBody: string | null; error: string | null }[];
}

interface DeliveryRow {
  id: number;
  event_id: string;
  type: string;
  status: DeliveryView['status'];
  attempts: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  event_created_at: Date;
  data: unknown;
}

async function deliveryViews(db: Db, rows: DeliveryRow[]): Promise<DeliveryView[]> {
  const ids = rows.map((r) => r.id);
  const attempts = ids.length
    ? (
        await sql<{ delivery_id: number; attempt: number; at: Date; duration_ms: number; response_status: number | null; response_body: string | null; error: string | null }>`
          select delivery_id, attempt, at, duration_ms, response_status, response_body, error from webhook_attempts where delivery_id = any(${ids}::bigint[]) order by id`.execute(db)
      ).rows
    : [];
  return rows.map((r) => ({
    id: String(r.id),
    eventId: r.event_id,
    eventType: r.type,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null,
    lastAttemptAt: iso(r.last_attempt_at),
    lastResponseStatus: r.last_status,
    lastError: r.last_error,
    createdAt: iso(r.created_at)!,
    payload: payloadOf(r.type, r.event_created_at, r.data),
    log: attempts
      .filter((a) => Number(a.delivery_id) === Number(r.id))
      .map((a) => ({ attempt: a.attempt, at: iso(a.at)!, durationMs: a.duration_ms, responseStatus: a.response_status, responseBody: a.response_body, error: a.error })),
  }));
}

/** The body sent for an event: the same bytes on every attempt. */
export function payloadOf(type: string, createdAt: Date | string, data: unknown): Payload {
  return { type, timestamp: new Date(createdAt).toISOString(), version: PAYLOAD_VERSION, data: data as Record<string, unknown> };
}

const isDeliveryCursor = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

export async function listDeliveries(
  db: Db,
  audience: Audience,
  endpointId: string,
  page: { limit?: number; cursor?: string; status?: DeliveryView['status'] },
): Promise<{ deliveries: DeliveryView[]; nextCursor: string | null }> {
  await endpointRow(db, audience, endpointId);
  const limit = page.limit ?? 50;
  const after = decodeCursor(page.cursor, isDeliveryCursor) ?? Number.MAX_SAFE_INTEGER;
  const rows = (
    await sql<DeliveryRow>`
      select d.id, d.event_id, ev.type, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_error, d.created_at,
        ev.created_at as event_created_at, ev.data
      from webhook_deliveries d join webhook_events ev on ev.id = d.event_id
      where d.endpoint_id = ${endpointId} and d.id < ${after} ${page.status ? sql`and d.status = ${page.status}` : sql``}
      order by d.id desc limit ${limit + 1}`.execute(db)
  ).rows;
  const items = rows.slice(0, limit);
  return { deliveries: await deliveryViews(db, items), nextCursor: rows.length > limit ? encodeCursor(Number(items[items.length - 1].id)) : null };
}

async function deliveryById(db: Db, id: number): Promise<DeliveryView> {
  const rows = (
    await sql<DeliveryRow>`
      select d.id, d.event_id, ev.type, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_error, d.created_at,
        ev.created_at as event_created_at, ev.data
      from webhook_deliveries d join webhook_events ev on ev.id = d.event_id where d.id = ${id}`.execute(db)
  ).rows;
  return (await deliveryViews(db, rows))[0];
}

/** Sends a delivery's event again to its endpoint, as a new delivery with the same webhook-id. */
export async function resendDelivery(ctx: AppContext, audience: Audience, endpointId: string, deliveryId: string): Promise<DeliveryView> {
  await endpointRow(ctx.db, audience, endpointId);
  if (!/^\d{1,15}$/.test(deliveryId)) throw notFound('delivery');
  const row = (
    await sql<{ id: number }>`
      insert into webhook_deliveries (event_id, endpoint_id, next_attempt_at)
      select event_id, endpoint_id, ${ctx.clock.now()} from webhook_deliveries where id = ${Number(deliveryId)} and endpoint_id = ${endpointId}
      returning id`.execute(ctx.db)
  ).rows[0];
  if (!row) throw notFound('delivery');
  return deliveryById(ctx.db, Number(row.id));
}

/** A `webhook.test` event sent to this endpoint only (enabled or not: the shop checks its receiver with it). */
export async function sendTestEvent(ctx: AppContext, audience: Audience, endpointId: string): Promise<DeliveryView> {
  await endpointRow(ctx.db, audience, endpointId);
  const data = { endpointId, message: 'This is a test event from Hawker.' };
  const row = (
    await sql<{ id: number }>`
      with ev as (
        insert into webhook_events (audience, shop_id, type, data)
        values (${audience}, ${audience === PLATFORM ? null : audience}, ${TEST_EVENT_TYPE}, ${JSON.stringify(data)}::jsonb) returning id
      )
      insert into webhook_deliveries (event_id, endpoint_id, next_attempt_at) select ev.id, ${endpointId}, ${ctx.clock.now()} from ev returning id`.execute(ctx.db)
  ).rows[0];
  return deliveryById(ctx.db, Number(row.id));
}

/** How long the delivery log keeps what is finished (delivered or given up). */
export const LOG_RETENTION_DAYS = 30;

/** Drops finished deliveries (and their attempts) older than the retention, then events nothing refers to any more. */
export async function pruneWebhookLog(ctx: AppContext): Promise<void> {
  const before = new Date(ctx.clock.nowMs() - LOG_RETENTION_DAYS * 86_400_000);
  await sql`delete from webhook_deliveries where status <> 'pending' and coalesce(last_attempt_at, created_at) < ${before}`.execute(ctx.db);
  await sql`delete from webhook_events ev where ev.created_at < ${before}
    and not exists (select 1 from webhook_deliveries d where d.event_id = ev.id)`.execute(ctx.db);
}
