// crypto.hash, the one-shot digest, is in Node since 20.12 (package.json engines).
import { hash } from 'node:crypto';

/** SHA-256 of a text as base64url, in one call (no Hash object per call: an order in a flash drop hashes its body). */
export const sha256Base64url = (text: string): string => hash('sha256', text, 'base64url');

/**
 * The bytes of base64url text, or null unless the text is their one canonical spelling. Node's decoder skips
 * characters outside the alphabet and ignores the spare low bits of the last character (16 bytes in 22 characters
 * leave 2), so several texts decode to one value; a signed value must have exactly one valid form.
 */
export function decodeBase64urlStrict(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}
