// Shipping-return insurance (运费险): the buyer opts in at checkout, or the shop insures all its orders. The
// merchant pays a premium from a rate table when the order is paid; when a return of the order is received, the
// buyer's return shipping is paid from the insurance pool. Both through the ledger, both shown on the order.
import type { Db } from '../../adapters/db/index.ts';
import type { Address } from '../../adapters/db/schema.ts';
import type { Config, PremiumBand, RegionFee } from '../../config.ts';
import type { PlatformSettings } from '../../platform/settings.ts';
import { insurancePayoutPostings, insurancePremiumPostings } from '../ledger/postings.ts';
import { postLedgerTransaction } from '../ledger/service.ts';
import { oweBuyerPayout } from './payouts.ts';

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

/** What the insurance pays for a return shipment: a flat fee, or the fee of the delivery address's city or region. */
export interface ReturnShippingFees {
  flatFee: number;
  regions: RegionFee[];
}

const RETURN_SHIPPING_KEY = 'return_shipping_fees';

/** The operator's return shipping fees; until the operator sets them, RETURN_SHIPPING_FEE and RETURN_SHIPPING_FEE_BY_REGION. */
export async function returnShippingFees(settings: Pick<PlatformSettings, 'get'>, config: Pick<Config, 'returnShippingFee' | 'returnShippingFeeByRegion'>): Promise<ReturnShippingFees> {
  const stored = await settings.get<Partial<ReturnShippingFees>>(RETURN_SHIPPING_KEY, {});
  return { flatFee: stored.flatFee ?? config.returnShippingFee, regions: stored.regions ?? config.returnShippingFeeByRegion };
}

export async function setReturnShippingFees(settings: Pick<PlatformSettings, 'set'>, fees: ReturnShippingFees): Promise<void> {
  await settings.set(RETURN_SHIPPING_KEY, fees);
}

const regionName = (name: string) => name.normalize('NFKC').trim().toLowerCase();

/** The fee for an address: its city's if listed, else its country's or region's, else the flat fee. */
export function returnShippingFeeFor(address: Pick<Address, 'city' | 'country'>, fees: ReturnShippingFees): number {
  const listed = (name: string | undefined) => (name ? fees.regions.find((r) => regionName(r.region) === regionName(name))?.fee : undefined);
  return listed(address.city) ?? listed(address.country) ?? fees.flatFee;
}

/**
 * A return of an insured order was received: its return shipping (by the order's delivery address) is paid to the
 * buyer from the insurance pool, once per order (one return shipment is insured), and owed to the buyer until the
 * payout job pays it into their wallet. Answers the amount paid now.
 */
export async function payReturnShipping(trx: Db, fees: ReturnShippingFees, orderId: string, at: Date): Promise<number> {
  const order = await trx
    .selectFrom('orders')
    .select(['buyer_id', 'address', 'insurance_premium', 'insurance_payout'])
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
  const fee = returnShippingFeeFor(order.address, fees);
  if (order.insurance_premium === null || order.insurance_payout > 0 || fee === 0) return 0;
  await trx.updateTable('orders').set({ insurance_payout: fee }).where('id', '=', orderId).execute();
  const idempotencyKey = `insurance_payout:${orderId}`;
  await postLedgerTransaction(trx, {
    kind: 'insurance_payout',
    ref: orderId,
    idempotencyKey,
    memo: `return shipping of order ${orderId} paid by its shipping-return insurance`,
    postings: insurancePayoutPostings({ amount: fee, buyerId: order.buyer_id }),
    at,
  });
  await oweBuyerPayout(trx, { userId: order.buyer_id, source: idempotencyKey, orderId, amount: fee, at });
  return fee;
}
