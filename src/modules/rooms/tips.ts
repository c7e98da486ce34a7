// Tips (打赏). The money model: a tip is charged to the viewer's sandbox wallet at once — the sandbox
// provider has collected it, as for a paid order — and posted as ONE balanced ledger transaction:
//   provider_clearing:sandbox  +amount   (the provider holds the money for the platform)
//   platform_fees              −fee      (PLATFORM_FEE_BPS of the tip, rounded down)
//   merchant_receivable:<shop> −(amount − fee)  (owed to the shop that hosts the room)
// The tip row and its ledger transaction commit together; the room hears of it after the commit.
import type { Selectable } from 'kysely';
import type { RoomTipsTable } from '../../adapters/db/schema.ts';
import type { AppContext } from '../../platform/context.ts';
import { conflict, invalidState, notFound } from '../../platform/errors.ts';
import { sha256Base64url } from '../../platform/hash.ts';
import { newId } from '../../platform/ids.ts';
import { newestFirst, type PageQuery } from '../../platform/pagination.ts';
import type { Principal } from '../accounts/service.ts';
import { paymentPostings, platformFee } from '../ledger/postings.ts';
import { postLedgerTransaction } from '../ledger/service.ts';
import { roomSession } from './moderation.ts';

/** Tips are collected by the built-in sandbox wallet. */
export const TIP_PROVIDER = 'sandbox';

export interface TipInput {
  amount: number;
  message?: string;
}

type TipRow = Selectable<RoomTipsTable> & { handle: string };

function tipView(t: TipRow) {
  return {
    id: t.id,
    liveSessionId: t.live_session_id,
    user: { id: t.tipper_id, handle: t.handle },
    amount: t.amount,
    message: t.message,
    createdAt: t.created_at.toISOString(),
  };
}

export type TipView = ReturnType<typeof tipView>;

const requestHash = (sessionId: string, input: TipInput) =>
  sha256Base64url(JSON.stringify([sessionId, input.amount, input.message ?? '']));

async function tipByKey(ctx: AppContext, tipperId: string, key: string): Promise<TipRow | undefined> {
  return ctx.db
    .selectFrom('room_tips as t')
    .innerJoin('users as u', 'u.id', 't.tipper_id')
    .selectAll('t')
    .select('u.handle')
    .where('t.tipper_id', '=', tipperId)
    .where('t.idempotency_key', '=', key)
    .executeTakeFirst();
}

function replay(existing: TipRow, hash: string) {
  if (existing.request_hash !== hash) throw conflict('idempotency_key_reused', 'this Idempotency-Key was used with another request body');
  return { tip: tipView(existing), created: false };
}

/** A viewer tips the room's shop; the same Idempotency-Key with the same body answers the same tip. */
export async function tipRoom(ctx: AppContext, tipper: Principal, sessionId: string, key: string, input: TipInput): Promise<{ tip: TipView; created: boolean }> {
  const session = await roomSession(ctx.db, tipper, sessionId);
  const hash = requestHash(sessionId, input);
  const existing = await tipByKey(ctx, tipper.userId, key);
  if (existing) return replay(existing, hash);
  if (session.status !== 'live') throw invalidState('tips are taken while the session is live');
  if (session.shop_status === 'suspended') throw invalidState('a suspended shop cannot take tips');

  const at = ctx.clock.now();
  const id = newId('tip');
  const message = ctx.rooms.mask((input.message ?? '').trim());
  const { platformFeeBps } = ctx.config;
  const inserted = await ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('room_tips')
      .values({
        id,
        live_session_id: sessionId,
        shop_id: session.shop_id,
        tipper_id: tipper.userId,
        amount: input.amount,
        fee: platformFee(input.amount, platformFeeBps),
        message,
        idempotency_key: key,
        request_hash: hash,
        created_at: at,
      })
      .onConflict((oc) => oc.columns(['tipper_id', 'idempotency_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row) return false;
    await postLedgerTransaction(trx, {
      kind: 'tip',
      ref: id,
      idempotencyKey: `tip:${id}`,
      memo: `tip in live session ${sessionId}`,
      postings: paymentPostings({ total: input.amount, shopId: session.shop_id, provider: TIP_PROVIDER, feeBps: platformFeeBps }),
      at,
    });
    return true;
  });
  // The same key raced in from another request and won: answer its tip.
  if (!inserted) return replay((await tipByKey(ctx, tipper.userId, key))!, hash);

  const user = { id: tipper.userId, handle: tipper.handle };
  ctx.rooms.publish(sessionId, { type: 'tip', id, user, amount: input.amount, message, at: at.toISOString() });
  return { tip: { id, liveSessionId: sessionId, user, amount: input.amount, message, createdAt: at.toISOString() }, created: true };
}

/** A room's tips, newest first (shop staff). */
export async function listTips(ctx: AppContext, principal: Principal, sessionId: string, page: PageQuery) {
  const session = await roomSession(ctx.db, principal, sessionId);
  if (!session.staff) throw notFound('live session');
  const query = ctx.db.selectFrom('room_tips as t').innerJoin('users as u', 'u.id', 't.tipper_id').selectAll('t').select('u.handle').where('t.live_session_id', '=', sessionId);
  const { items, nextCursor } = await newestFirst(query, page, { idColumn: 't.id' });
  return { tips: items.map(tipView), nextCursor };
}
