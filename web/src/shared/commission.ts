// Commission rates travel as basis points (1 bps = 0.01 %); people read and type them as percentages.
import { language } from './i18n.ts';

/** 1250 bps → "12.5%" ("12.5%" in Chinese too). */
export function formatBps(bps: number): string {
  return new Intl.NumberFormat(language(), { style: 'percent', maximumFractionDigits: 2 }).format(bps / 10_000);
}

/** A rate typed as a percentage ("12.5", "12.5%") → basis points (1250); null when it is not one (at most 2 decimals). */
export function percentToBps(text: string): number | null {
  const m = /^\s*(\d{1,3})(?:[.,](\d{0,2}))?\s*%?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0') || 0);
}

/** A share of 0..1 (a refund rate) as a percentage. */
export function formatRatio(ratio: number): string {
  return new Intl.NumberFormat(language(), { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}

/** The commission a sale at `price` earns at `bps`, rounded down to the fen like the server's split. */
export const commissionOf = (price: number, bps: number) => Math.floor((price * bps) / 10_000);
