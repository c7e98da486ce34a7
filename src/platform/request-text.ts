// One check at the edge for text that storage cannot hold. PostgreSQL text cannot carry U+0000 (the query
// fails, which was a 500), and a lone UTF-16 surrogate has no UTF-8 form (the drivers would store U+FFFD in
// its place: silently other text than was sent). Both are refused, as a 400, in every string a request
// brings: path parameters (decoded), query values and names, header values, and JSON bodies at any depth,
// keys included. Right-to-left marks, zero-width characters and other controls are valid Unicode that
// PostgreSQL stores as sent: they pass here, and what a field allows beyond that is its schema's business.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { invalidRequest, type AppError } from './errors.ts';

// NUL, or an unpaired surrogate: with the u flag a surrogate range matches only those (a pair is one code point).
const UNSTORABLE = /[\0\uD800-\uDFFF]/u;

export const isStorableText = (text: string) => !UNSTORABLE.test(text);

/** A field path one step deeper, up to a length a message can carry (a body may nest thousands deep). */
const deeper = (where: string, step: string) =>
  where.length > 120 ? (where.endsWith('…') ? where : `${where}…`) : where + (step.length > 64 ? `${step.slice(0, 64)}…` : step);

/**
 * Where the first string (or key) in a parsed value that cannot be stored is, or null. Paths such as
 * `items[0].name` are only built when `named` (the second pass, for a refusal's message). Iterative: a body may
 * nest as deep as its size allows.
 */
function invalidTextIn(value: unknown, named: boolean): string | null {
  const values: unknown[] = [value];
  const paths: string[] = [''];
  while (values.length > 0) {
    const v = values.pop();
    const where = named ? paths.pop()! : '';
    if (typeof v === 'string') {
      if (!isStorableText(v)) return where;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        values.push(v[i]);
        if (named) paths.push(deeper(where, `[${i}]`));
      }
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      for (const key of Object.keys(v)) {
        if (!isStorableText(key)) return named ? `${where}${where ? ' ' : ''}(a name in it)` : '';
        values.push((v as Record<string, unknown>)[key]);
        if (named) paths.push(deeper(where, where ? `.${key}` : key));
      }
    }
  }
  return null;
}

function checkRequestText(req: FastifyRequest): AppError | null {
  // Node reads header values as Latin-1 and refuses NUL itself; checked anyway, so no header the app reads
  // (authorization, idempotency-key, a provider's signature headers) depends on that.
  const parts: [string, unknown][] = [
    ['path parameter', req.params],
    ['query parameter', req.query],
    ['header', req.headers],
    [req.body !== null && typeof req.body === 'object' ? 'body field' : 'body', req.body],
  ];
  for (const [part, value] of parts) {
    if (invalidTextIn(value, false) === null) continue;
    const where = invalidTextIn(value, true);
    return invalidRequest(`${part}${where ? ` ${where}` : ''} holds U+0000 or an unpaired surrogate, which is not text`);
  }
  return null;
}

/** preValidation hook (after the body is parsed, before the route's schema and handler). A callback hook: no promise per request. */
export function refuseUnstorableText(req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
  const err = checkRequestText(req);
  if (err) done(err);
  else done();
}

/**
 * preHandler hook: a query-string number the schema coerced from "Infinity", "-Infinity" or "1e400" is a 400. Ajv
 * coerces such text to a number that is no integer and skips its range check, and no route means it.
 */
export function refuseNonFiniteQueryNumbers(req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
  const query = req.query as Record<string, unknown> | null;
  if (query && typeof query === 'object') {
    for (const [name, value] of Object.entries(query)) {
      if (typeof value === 'number' && !Number.isFinite(value)) return done(invalidRequest(`querystring/${name} must be a finite number`));
    }
  }
  done();
}
