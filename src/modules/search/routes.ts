import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { invalidRequest } from '../../platform/errors.ts';
import { NextCursor } from '../../platform/pagination.ts';
import { SearchHit } from './views.ts';

const SearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 400, description: 'What the buyer typed: Chinese (simplified or traditional), pinyin, initials, English; 1 to 100 characters once trimmed' }),
  type: Type.Optional(Type.Enum(['all', 'products', 'live', 'videos', 'shops'] as const, { default: 'all' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 20 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  sort: Type.Optional(Type.Enum(['relevance', 'sales', 'price_asc', 'price_desc', 'newest'] as const, { default: 'relevance' })),
  priceMin: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'Products: lowest SKU price at least this (minor units)' })),
  priceMax: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'Products: lowest SKU price at most this (minor units)' })),
  inStock: Type.Optional(Type.Boolean({ description: 'Products: only (true) or never (false) those that can be bought now' })),
  shopId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  deviceId: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]{8,64}$',
      description: "Signed out: the app's installation id, as the feed takes it. A sponsored hit is shown only to a viewer known by an account or this id, since a campaign is charged once per viewer",
    }),
  ),
});

const SearchBody = Type.Object({
  searchId: Type.String({ description: 'Sent back with clicks' }),
  query: Type.String({ description: 'The query as searched: folded to simplified characters and lower case' }),
  relaxed: Type.Boolean({ description: 'Nothing matched every word: these hits match some of them' }),
  hits: Type.Array(SearchHit),
  nextCursor: NextCursor,
  suggestions: Type.Array(Type.String(), { description: 'No hits: searches to try instead' }),
});

const Word = Type.Object({ word: Type.String(), frequency: Type.Integer(), tag: Type.Union([Type.String(), Type.Null()]) });

/** A query of nothing but spaces and punctuation has no words to look for. */
function nonBlank(q: string): string {
  const trimmed = q.trim();
  if (!trimmed) throw invalidRequest('q is blank');
  if ([...trimmed].length > 100) throw invalidRequest('q must not have more than 100 characters');
  return trimmed;
}

export function searchRoutes(app: App, ctx: AppContext) {
  app.get(
    '/search',
    {
      schema: {
        tags: ['discovery'],
        summary: '搜一搜: products, live rooms, short videos and shops, by words in Chinese (either script), pinyin, initials or English, typos in Latin forgiven',
        description:
          'Every word must match (in any of its forms: the word, its characters, pinyin, a Latin spelling one edit away); when nothing does, hits matching some words are returned with `relaxed`. Ranked by text relevance (title > description > tags) times quality (sales, after-sales, on air, freshness). Only what the caller may open is returned.',
        querystring: SearchQuery,
        response: { 200: SearchBody },
      },
    },
    async (req) => {
      const principal = await ctx.accounts.optionalUser(req);
      return ctx.search.search(principal, { ...req.query, q: nonBlank(req.query.q) });
    },
  );

  app.get(
    '/search/suggest',
    {
      schema: {
        tags: ['discovery'],
        summary: 'Suggestions as the buyer types: popular searches and titles beginning so, also by pinyin or initials',
        querystring: Type.Object({ q: Type.String({ minLength: 1, maxLength: 50 }), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 8 })) }),
        response: {
          200: Type.Object({ suggestions: Type.Array(Type.Object({ text: Type.String(), kind: Type.Enum(['query', 'product', 'shop', 'live', 'video'] as const) })) }),
        },
      },
    },
    async (req) => ({ suggestions: await ctx.search.suggest(req.query.q, req.query.limit) }),
  );

  app.get(
    '/search/popular',
    {
      schema: {
        tags: ['discovery'],
        summary: 'The most searched queries that found something, last 7 days',
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 10 })) }),
        response: { 200: Type.Object({ queries: Type.Array(Type.Object({ text: Type.String(), count: Type.Integer() })) }) },
      },
    },
    async (req) => ({ queries: await ctx.search.popular(req.query.limit) }),
  );

  app.post(
    '/search/clicks',
    {
      schema: {
        tags: ['discovery'],
        summary: 'A hit was opened from a search (for click-through in the operator view); 404 for an unknown search',
        body: Type.Object({
          searchId: Type.String({ minLength: 1, maxLength: 64 }),
          type: Type.Enum(['product', 'live', 'video', 'shop'] as const),
          id: Type.String({ minLength: 1, maxLength: 64 }),
          position: Type.Integer({ minimum: 0, maximum: 1050 }),
        }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await ctx.search.click(req.body);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/admin/search/queries',
    {
      schema: {
        tags: ['discovery', 'admin'],
        summary: 'Top searches, or those that found nothing, with clicks (operator)',
        querystring: Type.Object({
          kind: Type.Optional(Type.Enum(['top', 'zero'] as const, { default: 'top' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          days: Type.Optional(Type.Integer({ minimum: 1, maximum: 90, default: 7 })),
        }),
        response: {
          200: Type.Object({ queries: Type.Array(Type.Object({ text: Type.String(), searches: Type.Integer(), clicks: Type.Integer(), zeroResults: Type.Integer() })) }),
        },
      },
    },
    async (req) => {
      await ctx.accounts.requireOperator(req);
      return { queries: await ctx.search.queries(req.query.kind ?? 'top', req.query.limit, req.query.days) };
    },
  );

  app.get(
    '/admin/search/dictionary',
    { schema: { tags: ['discovery', 'admin'], summary: "The segmenter's user dictionary (operator)", response: { 200: Type.Object({ words: Type.Array(Word) }) } } },
    async (req) => {
      await ctx.accounts.requireOperator(req);
      return { words: await ctx.search.dictionary() };
    },
  );

  app.post(
    '/admin/search/dictionary',
    {
      schema: {
        tags: ['discovery', 'admin'],
        summary: 'Add a word to the segmenter (a brand, a new product word): every node uses it within a second, no restart; what contains it is indexed again',
        body: Type.Object({
          word: Type.String({ minLength: 1, maxLength: 20 }),
          frequency: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'Higher keeps the word whole more often (default 100000)' })),
          tag: Type.Optional(Type.String({ pattern: '^[a-z]{1,8}$', description: 'A jieba part-of-speech tag, e.g. nz (brand), n' })),
        }),
        response: { 201: Type.Object({ word: Word }) },
      },
    },
    async (req, reply) => {
      await ctx.accounts.requireOperator(req);
      return reply.status(201).send({ word: await ctx.search.addWord(req.body) });
    },
  );

  app.delete(
    '/admin/search/dictionary/:word',
    {
      schema: {
        tags: ['discovery', 'admin'],
        summary: 'Take a word out of the user dictionary (operator)',
        params: Type.Object({ word: Type.String({ minLength: 1, maxLength: 20 }) }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await ctx.accounts.requireOperator(req);
      await ctx.search.removeWord(req.params.word);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/admin/search/rebuild',
    {
      schema: {
        tags: ['discovery', 'admin'],
        summary: 'Rebuild the search index from the database (operator); searches keep working meanwhile',
        response: { 202: Type.Object({ rebuild: Type.Object({ startedAt: Type.String() }) }) },
      },
    },
    async (req, reply) => {
      await ctx.accounts.requireOperator(req);
      const startedAt = new Date().toISOString();
      void ctx.search.rebuild().catch((err) => ctx.log.error({ err }, 'search: rebuild failed'));
      return reply.status(202).send({ rebuild: { startedAt } });
    },
  );
}
