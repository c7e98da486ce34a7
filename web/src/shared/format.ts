// Money and times in the reader's language. Amounts travel as integers in minor units (fen for CNY).
import { language } from './i18n.ts';

const moneyFormats = new Map<string, Intl.NumberFormat>();

function moneyFormat(currency: string): Intl.NumberFormat {
  const key = `${language()}|${currency}`;
  let format = moneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(language(), { style: 'currency', currency });
    moneyFormats.set(key, format);
  }
  return format;
}

/** 1234 fen → "¥12.34" in Chinese, "CN¥12.34" in English (the currency's own minor-unit digits). */
export function formatMoney(amount: number, currency = 'CNY'): string {
  const format = moneyFormat(currency);
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
}

/** A price typed by a merchant in major units ("12.5") → minor units (1250); null when it is not a price. */
export function parseMoney(text: string, digits = 2): number | null {
  const m = /^\s*(\d{1,10})(?:[.,](\d*))?\s*$/.exec(text);
  if (!m || (m[2] ?? '').length > digits) return null;
  return Number(m[1]) * 10 ** digits + Number((m[2] ?? '').padEnd(digits, '0') || 0);
}

/** Minor units → the text a price input starts with ("12.50"). */
export const moneyInput = (amount: number, digits = 2) => (amount / 10 ** digits).toFixed(digits);

export function formatTime(iso: string | null): string {
  if (!iso) return '';
  return new Intl.DateTimeFormat(language(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function formatNumber(n: number): string {
  return new Intl.NumberFormat(language(), { notation: n >= 10_000 ? 'compact' : 'standard', maximumFractionDigits: 1 }).format(n);
}

/** Seconds → "mm:ss" (or "h:mm:ss"). */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
