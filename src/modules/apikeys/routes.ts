import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { forbidden } from '../../platform/errors.ts';
import { NextCursor, PageQuery } from '../../platform/pagination.ts';
import { Id, ShopParams } from '../../platform/schemas.ts';
import { requireShopOwner, shopRole } from '../shops/access.ts';
import { SCOPES } from './service.ts';

const ScopeSchema = Type.Enum(SCOPES);
const Time = Type.String({ format: 'date-time' });
const ApiKeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'the start of the key, to tell keys apart; the secret is never shown again' }),
  scopes: Type.Array(ScopeSchema),
  rateLimitPerMinute: Type.Integer(),
  createdBy: Type.String(),
  createdAt: Time,
  lastUsedAt: Type.Union([Time, Type.Null()], { description: 'updated at most about once a minute' }),
  revokedAt: Type.Union([Time, Type.Null()]),
});
const KeyParams = Type.Object({ shopId: Id, keyId: Id });

export function apiKeysRoutes(app: App, ctx: AppContext) {
  const { accounts, apiKeys, db } = ctx;

  app.post(
    '/shops/:shopId/api-keys',
    {
      schema: {
        tags: ['integrations'],
        summary: 'Create an API key with scopes (the shop owner; the secret is in this answer only)',
        params: ShopParams,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
          scopes: Type.Array(ScopeSchema, { minItems: 1, maxItems: SCOPES.length, uniqueItems: true }),
          rateLimitPerMinute: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'requests a minute (default 600)' })),
        }),
        response: { 201: Type.Object({ key: ApiKeyView, secret: Type.String({ description: 'hk_…: send as Authorization: Bearer <secret>' }) }) },
      },
    },
    async (req, reply) => {
      const principal = await accounts.requireUser(req);
      await requireShopOwner(db, principal, req.params.shopId);
      // The key acts as its creator: only a member who owns the shop, not an operator passing by.
      if ((await shopRole(db, { ...principal, role: 'user' }, req.params.shopId)) !== 'owner') throw forbidden("only the shop's owner creates API keys");
      return reply.status(201).send(await apiKeys.create(req.params.shopId, principal, req.body));
    },
  );

  app.get(
    '/shops/:shopId/api-keys',
    {
      schema: {
        tags: ['integrations'],
        summary: "The shop's API keys, newest first, revoked ones too (the shop owner)",
        params: ShopParams,
        querystring: PageQuery,
        response: { 200: Type.Object({ keys: Type.Array(ApiKeyView), nextCursor: NextCursor }) },
      },
    },
    async (req) => {
      await requireShopOwner(db, await accounts.requireUser(req), req.params.shopId);
      return apiKeys.list(req.params.shopId, req.query);
    },
  );

  app.delete(
    '/shops/:shopId/api-keys/:keyId',
    {
      schema: {
        tags: ['integrations'],
        summary: 'Revoke an API key (the shop owner): refused from the next second on every node',
        params: KeyParams,
        response: { 200: Type.Object({ key: ApiKeyView }) },
      },
    },
    async (req) => {
      await requireShopOwner(db, await accounts.requireUser(req), req.params.shopId);
      return { key: await apiKeys.revoke(req.params.shopId, req.params.keyId) };
    },
  );

  app.get(
    '/shops/:shopId/api-key-requests',
    {
      schema: {
        tags: ['integrations'],
        summary: "The audit log of requests made with the shop's API keys, newest first (the shop owner)",
        params: ShopParams,
        querystring: Type.Object({ ...PageQuery.properties, keyId: Type.Optional(Id) }),
        response: {
          200: Type.Object({
            requests: Type.Array(
              Type.Object({ id: Type.String(), keyId: Type.String(), method: Type.String(), route: Type.String(), status: Type.Integer(), ip: Type.String(), at: Time }),
            ),
            nextCursor: NextCursor,
          }),
        },
      },
    },
    async (req) => {
      await requireShopOwner(db, await accounts.requireUser(req), req.params.shopId);
      return apiKeys.audit(req.params.shopId, { keyId: req.query.keyId }, req.query);
    },
  );
}
