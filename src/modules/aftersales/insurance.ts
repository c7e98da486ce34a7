// Shipping-return insurance (运费险): the buyer opts in at checkout, or the shop insures all its orders. The
// merchant pays a premium from a rate table when the order is paid; when a return of the order is received, the
// buyer's return shipping is paid from the insurance pool. Both through the ledger, both shown on the order.
import type { Db } from '../../adapters/db/index.ts';
import type { Config, PremiumBand } from '../../config.ts';
import { insurancePayoutPostings, insurancePremiumPostings } from '../ledger/postings.ts';
import { postLedgerTransaction } from '../ledger/service.ts';

/** The premium for an order of `total`: the band with the highest start not above it. */
export function insurancePremium(total: number, table: readonly PremiumBand[]): number {
  let premium = 0;
  for (const band of table) if (band.fromTotal <= total) premium = band.premium;
  return premium;
}

export async function shopInsuresAllOrders(db: Db, shopId: string): Promise<boolean> {
  const row = await db.selectFrom('shop_aftersales_settings').select('insure_all_orders').where('shop_id', '=', shopId).executeTakeFirst();
  return row?.insure_all_orders ?? false;
}

export async function setShopInsuresAllOrders(db: Db, shopId: string, insureAllOrders: boolean, at: Date): Promise<void> {
  await db
    .insertInto('shop_aftersales_settings')
    .values({ shop_id: shopId, insure_all_orders: insureAllOrders, updated_at: at })
    .onConflict((oc) => oc.column('shop_id').doUpdateSet({ insure_all_orders: insureAllOrders, updated_at: at }))
    .execute();
}

/**
 * Runs inside the payment's transaction: an order the buyer insured, or of a shop that insures every order, is
 * charged its premium (merchant receivable → insurance pool). Once per order.
 */
export async function chargeShippingInsurance(trx: Db, config: Pick<Config, 'insurancePremiumTable'>, orderId: string, at: Date): Promise<void> {
  const order = await trx
    .selectFrom('orders')
    .select(['shop_id', 'total', 'shipping_insurance', 'insurance_premium'])
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
  if (order.insurance_premium !== null) return;
  if (!order.shipping_insurance && !(await shopInsuresAllOrders(trx, order.shop_id))) return;
  const premium = insurancePremium(order.total, config.insurancePremiumTable);
  await trx.updateTable('orders').set({ shipping_insurance: true, insurance_premium: premium }).where('id', '=', orderId).execute();
  if (premium === 0) return;
  await postLedgerTransaction(trx, {
    kind: 'insurance_premium',
    ref: orderId,
    idempotencyKey: `insurance_premium:${orderId}`,
    memo: `shipping-return insurance premium for order ${orderId}`,
    postings: insurancePremiumPostings({ premium, shopId: order.shop_id }),
    at,
  });
}

/**
 * A return of an insured order was received: its return shipping is paid to the buyer from the insurance pool,
 * once per order (one return shipment is insured). Answers the amount paid now.
 */
export async function payReturnShipping(trx: Db, config: Pick<Config, 'returnShippingFee'>, orderId: string, at: Date): Promise<number> {
  const order = await trx
    .selectFrom('orders')
    .select(['buyer_id', 'insurance_premium', 'insurance_payout'])
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
  const fee = config.returnShippingFee;
  if (order.insurance_premium === null || order.insurance_payout > 0 || fee === 0) return 0;
  await trx.updateTable('orders').set({ insurance_payout: fee }).where('id', '=', orderId).execute();
  await postLedgerTransaction(trx, {
    kind: 'insurance_payout',
    ref: orderId,
    idempotencyKey: `insurance_payout:${orderId}`,
    memo: `return shipping of order ${orderId} paid by its shipping-return insurance`,
    postings: insurancePayoutPostings({ amount: fee, buyerId: order.buyer_id }),
    at,
  });
  return fee;
}
