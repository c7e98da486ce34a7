// The built-in sandbox: an external wallet service played inside Hawker, with WeChat Pay's shape. It keeps
// its own books (sandbox_transactions), and tells Hawker about payments only through signed HTTP
// notifications, so Hawker's side is exercised exactly as it would be against the real service.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AppContext } from '../../../platform/context.ts';
import { AppError, invalidRequest } from '../../../platform/errors.ts';
import type { PaymentProvider, PaymentRequest, RefundRequest, TransferRequest, VerifiedNotification } from '../provider.ts';
import { acceptSandboxRefund, REFUND_FAILURE_REASONS, type SandboxRefundNotificationBody } from './refunds.ts';
import { acceptSandboxTransfer } from './transfers.ts';

export const SANDBOX = 'sandbox';
/** The name of the shared signing secret (platform settings), the sandbox's "API v3 key". */
export const SANDBOX_NOTIFY_SECRET = 'sandbox-notify';

/** WeChat Pay v3's signing string, `timestamp\nnonce\nbody\n`, HMAC-SHA256 with the shared secret, base64. */
export function sandboxSignature(secret: string, timestamp: string, nonce: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${nonce}\n${body}\n`).digest('base64');
}

/** The body of a "transaction succeeded" notification, as WeChat Pay v3 shapes it (without resource encryption). */
export interface SandboxNotificationBody {
  id: string;
  create_time: string;
  event_type: 'TRANSACTION.SUCCESS';
  resource: {
    out_trade_no: string;
    transaction_id: string;
    trade_state: 'SUCCESS';
    success_time: string;
    amount: { total: number; currency: 'CNY' };
  };
}

/** The sandbox's own transaction id for a payment (WeChat Pay's transaction_id / prepay id). */
export const sandboxRef = (paymentId: string) => `sbx_${paymentId}`;

const invalidSignature = () => new AppError(401, 'invalid_signature', 'notification signature is missing or wrong');

const header = (headers: Record<string, string | string[] | undefined>, name: string) => {
  const v = headers[name];
  return typeof v === 'string' && v.length > 0 && v.length <= 256 ? v : null;
};

export class SandboxProvider implements PaymentProvider {
  readonly name = SANDBOX;
  private secret: Promise<string> | null = null;

  constructor(private readonly ctx: AppContext) {}

  /** The secret never changes once created, so one read per process is enough. */
  private signingSecret(): Promise<string> {
    this.secret ??= this.ctx.settings.secret(SANDBOX_NOTIFY_SECRET).catch((err) => {
      this.secret = null;
      throw err;
    });
    return this.secret;
  }

  async createPayment(request: PaymentRequest): Promise<{ providerRef: string }> {
    await this.ctx.db
      .insertInto('sandbox_transactions')
      .values({
        payment_id: request.paymentId,
        amount: request.amount,
        status: 'pending',
        notify_url: request.notifyUrl,
        created_at: this.ctx.clock.now(),
        confirmed_at: null,
      })
      .onConflict((oc) => oc.column('payment_id').doNothing())
      .execute();
    return { providerRef: sandboxRef(request.paymentId) };
  }

  async closePayment(paymentId: string): Promise<'closed' | 'succeeded'> {
    await this.ctx.db.updateTable('sandbox_transactions').set({ status: 'closed' }).where('payment_id', '=', paymentId).where('status', '=', 'pending').execute();
    const row = await this.ctx.db.selectFrom('sandbox_transactions').select('status').where('payment_id', '=', paymentId).executeTakeFirst();
    // A payment the sandbox never opened cannot be paid either: for the caller it is closed.
    return row?.status === 'succeeded' ? 'succeeded' : 'closed';
  }

  refund(request: RefundRequest): Promise<{ providerRef: string }> {
    return acceptSandboxRefund(this.ctx, request);
  }

  transfer(request: TransferRequest): Promise<{ providerRef: string }> {
    return acceptSandboxTransfer(this.ctx, request);
  }

  async verifyNotification(headers: Record<string, string | string[] | undefined>, rawBody: string): Promise<VerifiedNotification> {
    const timestamp = header(headers, 'wechatpay-timestamp');
    const nonce = header(headers, 'wechatpay-nonce');
    const signature = header(headers, 'wechatpay-signature');
    if (!timestamp || !nonce || !signature || !/^\d{1,12}$/.test(timestamp)) throw invalidSignature();
    const expected = Buffer.from(sandboxSignature(await this.signingSecret(), timestamp, nonce, rawBody));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidSignature();
    return { nonce, signedAt: new Date(Number(timestamp) * 1000), ...parseNotification(rawBody) };
  }
}

const isAmount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** The succeeded payment, or succeeded or failed refund, a signed body reports; none for other event types (acknowledged, ignored). */
function parseNotification(rawBody: string): Pick<VerifiedNotification, 'payment' | 'refund' | 'refundFailure'> {
  let body: Partial<SandboxNotificationBody> | Partial<SandboxRefundNotificationBody>;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw invalidRequest('notification body is not JSON');
  }
  const none = { payment: null, refund: null, refundFailure: null };
  if (body?.event_type === 'TRANSACTION.SUCCESS') return { ...none, payment: parseSucceededPayment(body as Partial<SandboxNotificationBody>) };
  if (body?.event_type === 'REFUND.SUCCESS') return { ...none, refund: parseRefund(body as Partial<SandboxRefundNotificationBody>, 'SUCCESS') };
  if (body?.event_type === 'REFUND.ABNORMAL' || body?.event_type === 'REFUND.CLOSED') {
    const status = body.event_type === 'REFUND.ABNORMAL' ? 'ABNORMAL' : 'CLOSED';
    return { ...none, refundFailure: { ...parseRefund(body as Partial<SandboxRefundNotificationBody>, status), reason: REFUND_FAILURE_REASONS[status] } };
  }
  return none;
}

function parseRefund(body: Partial<SandboxRefundNotificationBody>, status: SandboxRefundNotificationBody['resource']['refund_status']): NonNullable<VerifiedNotification['refund']> {
  const r = body.resource;
  if (
    typeof r?.out_trade_no !== 'string' ||
    typeof r.out_refund_no !== 'string' ||
    typeof r.refund_id !== 'string' ||
    r.refund_status !== status ||
    !isAmount(r.amount?.refund)
  ) {
    throw invalidRequest('notification resource is malformed');
  }
  return { refundId: r.out_refund_no, paymentId: r.out_trade_no, amount: r.amount.refund, providerRef: r.refund_id };
}

function parseSucceededPayment(body: Partial<SandboxNotificationBody>): NonNullable<VerifiedNotification['payment']> {
  const r = body.resource;
  if (
    typeof r?.out_trade_no !== 'string' ||
    typeof r.transaction_id !== 'string' ||
    r.trade_state !== 'SUCCESS' ||
    !isAmount(r.amount?.total)
  ) {
    throw invalidRequest('notification resource is malformed');
  }
  return { paymentId: r.out_trade_no, amount: r.amount.total, providerRef: r.transaction_id };
}
