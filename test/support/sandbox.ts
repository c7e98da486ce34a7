// A sandbox payment notification exactly as the sandbox provider sends it: the signed body and headers.
import { randomBytes } from 'node:crypto';
import { SANDBOX_NOTIFY_SECRET, sandboxSignature } from '../../src/modules/payments/sandbox/provider.ts';
import type { TestNode } from './harness.ts';

/** A "transaction succeeded" notification for a payment, signed with the node's real secret unless told otherwise;
 * `send(signature?)` posts it (with another signature in its header, if given). */
export async function sandboxNotification(node: TestNode, payment: { id: string; amount: number }, opts: { secret?: string; timestamp?: number; nonce?: string } = {}) {
  const body = JSON.stringify({
    id: `evt_${randomBytes(6).toString('hex')}`,
    create_time: new Date().toISOString(),
    event_type: 'TRANSACTION.SUCCESS',
    resource: {
      out_trade_no: payment.id,
      transaction_id: `sbx_${payment.id}`,
      trade_state: 'SUCCESS',
      success_time: new Date().toISOString(),
      amount: { total: payment.amount, currency: 'CNY' },
    },
  });
  const timestamp = String(opts.timestamp ?? Math.floor(node.hawker.ctx.clock.nowMs() / 1000));
  const nonce = opts.nonce ?? randomBytes(16).toString('hex');
  const secret = opts.secret ?? (await node.hawker.ctx.settings.secret(SANDBOX_NOTIFY_SECRET));
  const signature = sandboxSignature(secret, timestamp, nonce, body);
  const headers = { 'content-type': 'application/json', 'wechatpay-timestamp': timestamp, 'wechatpay-nonce': nonce, 'wechatpay-signature': signature };
  return {
    body,
    headers,
    signature,
    send: (other = signature) => node.api.call('POST', '/payments/notify/sandbox', { raw: body, headers: { ...headers, 'wechatpay-signature': other } }),
  };
}
