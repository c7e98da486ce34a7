// crypto.hash, the one-shot digest, is in Node since 20.12 (package.json engines).
import { hash } from 'node:crypto';

/** SHA-256 of a text as base64url, in one call (no Hash object per call: an order in a flash drop hashes its body). */
export const sha256Base64url = (text: string): string => hash('sha256', text, 'base64url');
