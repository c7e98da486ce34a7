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

/** A notification whose signature checked out, parsed into what Hawker needs. */
export interface VerifiedNotification {
  /** Unique per delivery attempt; a repeat means a replayed request. */
  nonce: string;
  /** When the provider signed it. */
  signedAt: Date;
  /** Present when the notification reports a payment that succeeded. */
  payment: { paymentId: string; amount: number; providerRef: string } | null;
}

export interface PaymentProvider {
  readonly name: string;
  /** Opens (or, for a known paymentId, finds) the provider's payment; answers the provider's reference for it. */
  createPayment(request: PaymentRequest): Promise<{ providerRef: string }>;
  /** Closes an unpaid payment so it can no longer be paid; answers "succeeded" if the buyer already paid. */
  closePayment(paymentId: string): Promise<'closed' | 'succeeded'>;
  /** Checks the signature over the raw body; throws 401 invalid_signature when it is missing or wrong. */
  verifyNotification(headers: Record<string, string | string[] | undefined>, rawBody: string): Promise<VerifiedNotification>;
}
