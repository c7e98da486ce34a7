import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { NextCursor, PageQuery } from '../../platform/pagination.ts';
import { Id } from '../../platform/schemas.ts';
import { SHARE_CHANNELS } from './service.ts';

const Token = Type.String({ minLength: 1, maxLength: 256 });
const TokenParams = Type.Object({ token: Token });
const TargetType = Type.Enum(['product', 'live', 'video'] as const);
const Target = Type.Object({ type: TargetType, id: Type.String() }, { description: 'what the link opens: /products/<id>, the live room, or the video (/v/<id>)' });
const Channel = Type.Enum(SHARE_CHANNELS);

const ShareLinkView = Type.Object({
  id: Type.String(),
  token: Type.String(),
  url: Type.String(),
  target: Target,
  channel: Type.String(),
  chain: Type.Array(Type.Object({ userId: Type.String(), handle: Type.String(), sharedAt: Type.String() }), {
    description: 'who passed the link on, first sharer first, the sharer of this link last',
  }),
  createdAt: Type.String(),
});

const ShareCard = Type.Object({
  title: Type.String(),
  description: Type.String(),
  image: Type.Union([Type.String(), Type.Null()]),
  price: Type.Union([Type.Integer(), Type.Null()], { description: 'lowest SKU price (of a video: of the SKUs under it), or the live room’s current drop price (fen)' }),
  shopId: Type.Union([Type.String(), Type.Null()], { description: 'null only for an influencer’s video with no product under it' }),
  shopName: Type.Union([Type.String(), Type.Null()]),
  status: Type.String({ description: 'the product’s, the live session’s or the video’s status' }),
});

export function sharingRoutes(app: App, ctx: AppContext) {
  const { accounts, sharing } = ctx;

  app.post(
    '/share-links',
    {
      schema: {
        tags: ['sharing'],
        summary: 'Share a product, a live room or a video (or re-share a link, extending its chain): a signed token and a URL',
        body: Type.Object({
          productId: Type.Optional(Id),
          liveSessionId: Type.Optional(Id),
          targetType: Type.Optional(TargetType),
          targetId: Type.Optional(Id),
          parentToken: Type.Optional(Token),
          channel: Type.Optional(Channel),
        }),
        response: { 201: Type.Object({ shareLink: ShareLinkView }) },
      },
    },
    async (req, reply) => {
      const principal = await accounts.requireUser(req);
      const link = await sharing.create(principal, req.body);
      return reply.status(201).send({ shareLink: await sharing.view(link) });
    },
  );

  app.get(
    '/share-links/:token',
    {
      schema: {
        tags: ['sharing'],
        summary: 'What a share link opens: its target, who shared it and the share card (no sign-in needed); a video taken down since is a 404',
        params: TokenParams,
        response: {
          200: Type.Object({
            shareLink: Type.Object({
              id: Type.String(),
              target: Target,
              sharer: Type.Object({ id: Type.String(), handle: Type.String(), displayName: Type.String() }),
              channel: Type.String(),
              createdAt: Type.String(),
              card: ShareCard,
            }),
          }),
        },
      },
    },
    async (req) => {
      const link = await sharing.verify(req.params.token);
      return {
        shareLink: {
          id: link.id,
          target: { type: link.targetType, id: link.targetId },
          sharer: await sharing.sharerOf(link),
          channel: link.channel,
          createdAt: link.createdAt.toISOString(),
          card: await sharing.card(link),
        },
      };
    },
  );

  app.post(
    '/share-links/:token/visits',
    {
      schema: {
        tags: ['sharing'],
        summary: 'Record one opening of a share link (private traffic of its shop, by channel)',
        params: TokenParams,
        body: Type.Optional(Type.Object({})),
        response: {
          201: Type.Object({
            visit: Type.Object({ id: Type.String(), channel: Type.String(), privateTraffic: Type.Boolean(), counted: Type.Boolean({ description: 'false for the same visitor again within the hour' }) }),
          }),
        },
      },
    },
    async (req, reply) => {
      const visitor = await accounts.optionalUser(req);
      return reply.status(201).send({ visit: await sharing.recordVisit(req.params.token, visitor, req.ip) });
    },
  );

  app.get(
    '/me/share-links',
    {
      schema: {
        tags: ['sharing'],
        summary: "The caller's share links, newest first, with the visits, paid orders and GMV each brought",
        querystring: PageQuery,
        response: {
          200: Type.Object({
            shareLinks: Type.Array(Type.Object({ ...ShareLinkView.properties, title: Type.String(), visits: Type.Integer(), orders: Type.Integer(), gmv: Type.Integer() })),
            nextCursor: NextCursor,
          }),
        },
      },
    },
    async (req) => sharing.listMine(await accounts.requireUser(req), req.query),
  );
}
