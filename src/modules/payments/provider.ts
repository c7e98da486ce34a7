// The seam between Hawker and a payment service (WeChat Pay, Alipay, the built-in sandbox). A provider
// is an external system: Hawker asks it to open and close payments and trusts only notifications
// whose signature it verified.

/** What Hawker asks a provider to collect. */
export interface PaymentRequest {
  /** Hawker's payment id, the provider's merchant reference (WeChat Pay's out_trade_no): creating twice opens one payment. */
  paymentId: string;
  orderId: string;
  amount: number;
  currency: 'CNY';
  description: string;
  /** Where the provider sends its asynchronous notifications. */
  notifyUrl: string;
}

/** What Hawker asks a provider to give back of a payment it collected. */
export interface RefundRequest {
  /** Hawker's refund id, the provider's merchant refund reference (WeChat Pay's out_refund_no): asking twice refunds once. */
  refundId: string;
  paymentId: string;
  amount: number;
  /** The amount of the payment being refunded (the provider checks refunds never exceed it). */
  paymentAmount: number;
  currency: 'CNY';
  reason: string;
  notifyUrl: string;
}

/** What Hawker asks a provider to pay into a user's wallet (WeChat Pay's transfer to balance, 商家转账到零钱). */
export interface TransferRequest {
  /** Hawker's payout id, the provider's merchant reference: asking twice pays once. */
  transferId: string;
  userId: string;
  amount: number;
  currency: 'CNY';
  reason: string;
}

/** A notification whose signature checked out, parsed into what Hawker needs. */
export interface VerifiedNotification {
  /** Unique per delivery attempt; a repeat means a replayed request. */
  nonce: string;
  /** When the provider signed it. */
  signedAt: Date;
  /** Present when the notification reports a payment that succeeded. */
  payment: { paymentId: string; amount: number; providerRef: string } | null;
  /** Present when the notification reports a refund that succeeded. */
  refund: { refundId: string; paymentId: string; amount: number; providerRef: string } | null;
  /** Present when the notification reports a refund that failed (no money moved). */
  refundFailure: { refundId: string; paymentId: string; amount: number; providerRef: string; reason: string } | null;
}

export interface PaymentProvider {
  readonly name: string;
  /** Opens (or, for a known paymentId, finds) the provider's payment; answers the provider's reference for it. */
  createPayment(request: PaymentRequest): Promise<{ providerRef: string }>;
  /** Closes an unpaid payment so it can no longer be paid; answers "succeeded" if the buyer already paid. */
  closePayment(paymentId: string): Promise<'closed' | 'succeeded'>;
  /**
   * Asks the provider to refund part or all of a succeeded payment; it does so asynchronously and reports the
   * outcome in a signed notification. Safe to call again with the same refundId. Answers the provider's reference.
   */
  refund(request: RefundRequest): Promise<{ providerRef: string }>;
  /** Pays money the platform owes a user into their wallet, at once; safe to call again with the same transferId. */
  transfer(request: TransferRequest): Promise<{ providerRef: string }>;
  /** Checks the signature over the raw body; throws 401 invalid_signature when it is missing or wrong. */
  verifyNotification(headers: Record<string, string | string[] | undefined>, rawBody: string): Promise<VerifiedNotification>;
}
