import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { bearerToken } from './service.ts';

export const Handle = Type.String({ pattern: '^[a-z0-9_]{3,32}$', description: '3–32 of [a-z0-9_]' });
export const UserView = Type.Object({ id: Type.String(), handle: Type.String(), displayName: Type.String() });
const AuthResult = Type.Object({ user: UserView, token: Type.String() });
const Password = Type.String({ minLength: 8, maxLength: 128 });

export function accountsRoutes(app: App, ctx: AppContext) {
  const { accounts } = ctx;

  app.post(
    '/auth/register',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Create an account',
        body: Type.Object({ handle: Handle, password: Password, displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }),
        response: { 201: AuthResult },
      },
    },
    async (req, reply) => reply.status(201).send(await accounts.register(req.body)),
  );

  app.post(
    '/auth/login',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Sign in (rate-limited per handle and per address)',
        body: Type.Object({ handle: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 128 }) }),
        response: { 200: AuthResult },
      },
    },
    async (req) => accounts.login(req.body, req.ip),
  );

  app.post(
    '/auth/logout',
    { schema: { tags: ['accounts'], summary: 'Revoke the bearer token', response: { 204: Type.Null() } } },
    async (req, reply) => {
      await accounts.requireUser(req);
      await accounts.logout(bearerToken(req)!);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/me',
    {
      schema: {
        tags: ['accounts'],
        summary: 'The signed-in user',
        response: { 200: Type.Object({ user: Type.Object({ ...UserView.properties, role: Type.String() }) }) },
      },
    },
    async (req) => {
      const p = await accounts.requireUser(req);
      return { user: { id: p.userId, handle: p.handle, displayName: p.displayName, role: p.role } };
    },
  );
}
