// One check at the edge for text that storage cannot hold. PostgreSQL text cannot carry U+0000 (the query
// fails, which was a 500), and a lone UTF-16 surrogate has no UTF-8 form (the drivers would store U+FFFD in
// its place: silently other text than was sent). Both are refused, as a 400, in every string a request
// brings: path parameters (decoded), query values and names, header values, and JSON bodies at any depth,
// keys included. Right-to-left marks, zero-width characters and other controls are valid Unicode that
// PostgreSQL stores as sent: they pass here, and what a field allows beyond that is its schema's business.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { invalidRequest, type AppError } from './errors.ts';

// With the u flag a surrogate range matches only unpaired surrogates: a pair is one code point.
const INVALID_TEXT = /[\0\uD800-\uDFFF]/u;

export const isStorableText = (text: string) => !INVALID_TEXT.test(text);

/** The first string in a parsed value that cannot be stored, named for the error (`body field items[0].name`), or null. Iterative: a body may nest as deep as its size allows. */
function invalidTextIn(value: unknown, part: string): string | null {
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length > 0) {
    const [v, where] = pending.pop()!;
    if (typeof v === 'string') {
      if (INVALID_TEXT.test(v)) return where ? `${part} ${where}` : part;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) pending.push([v[i], `${where}[${i}]`]);
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      for (const key of Object.keys(v)) {
        const at = where ? `${where}.${key}` : key;
        if (INVALID_TEXT.test(key)) return `a name in ${part}${where ? ` ${where}` : ''}`;
        pending.push([(v as Record<string, unknown>)[key], at]);
      }
    }
  }
  return null;
}

function checkRequestText(req: FastifyRequest): AppError | null {
  const where =
    invalidTextIn(req.params, 'path parameter') ??
    invalidTextIn(req.query, 'query parameter') ??
    // Node reads header values as Latin-1 and refuses NUL itself; checked anyway, so no header the app reads
    // (authorization, idempotency-key, a provider's signature headers) depends on that.
    invalidTextIn(req.headers, 'header') ??
    invalidTextIn(req.body, req.body !== null && typeof req.body === 'object' ? 'body field' : 'body');
  return where === null ? null : invalidRequest(`${where} holds U+0000 or an unpaired surrogate, which is not text`);
}

/** preValidation hook (after the body is parsed, before the route's schema and handler). A callback hook: no promise per request. */
export function refuseUnstorableText(req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
  const err = checkRequestText(req);
  if (err) done(err);
  else done();
}
