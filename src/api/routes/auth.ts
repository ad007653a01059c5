/** `/api/v1/auth`: login, logout, logout-all, me, change-password (eventplane.md §1.2). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { burnOneHash, hashPassword, passwordProblem, verifyPassword } from '../auth/passwords.js';
import type { ApiContext } from '../context.js';
import { ApiError, unauthorized } from '../errors.js';
import { defineRoute } from '../route.js';
import { errorSchema } from './common.js';

const loginBody = z.object({ username: z.string().min(1).max(256), password: z.string().min(1).max(4096) });
const loginReply = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.int(),
  must_change_password: z.boolean(),
});
const meReply = z.object({ id: z.string(), username: z.string(), role: z.enum(['admin', 'viewer']), must_change_password: z.boolean() });
const changeBody = z.object({ current_password: z.string().max(4096), new_password: z.string().max(4096) });

export function registerAuthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db, tokens, clock } = ctx;
  const route = <B, Q, P>(spec: Parameters<typeof defineRoute<B, Q, P>>[3]): void => defineRoute(app, ctx.auth, ctx.catalog, spec);
  const nowS = (): number => clock.now() / 1000;

  const loginResponse = async (user: { id: string; role: 'admin' | 'viewer'; mustChangePassword: boolean }, notBefore: number): Promise<z.infer<typeof loginReply>> => {
    const { token } = await tokens.issue(user.id, user.role, notBefore);
    return { access_token: token, token_type: 'bearer', expires_in: tokens.ttlSecs, must_change_password: user.mustChangePassword };
  };

  route({
    method: 'POST',
    url: '/auth/login',
    summary: 'Exchange a username and password for an access token',
    tag: 'auth',
    access: 'public',
    body: loginBody,
    responses: { 200: { description: 'logged in', schema: loginReply }, 401: { description: 'bad credentials', schema: errorSchema }, 429: { description: 'too many attempts', schema: errorSchema } },
    handler: async ({ body, req }) => {
      if (!ctx.loginLimiter.allow(req.ip, body.username)) throw new ApiError(429, 'rate_limited', 'Too many login attempts; try again in a minute');
      const user = await db.repos.users.findByUsername(body.username);
      if (!user) {
        await burnOneHash(body.password);
        throw unauthorized('Invalid username or password');
      }
      if (!(await verifyPassword(body.password, user.passwordHash))) throw unauthorized('Invalid username or password');
      await db.repos.users.touchLogin(user.id);
      return loginResponse(user, user.tokensValidFrom);
    },
  });

  route({
    method: 'POST',
    url: '/auth/logout',
    summary: 'Revoke the token of this request',
    tag: 'auth',
    access: 'viewer',
    duringPasswordChange: true,
    responses: { 204: { description: 'revoked' } },
    handler: async ({ user, reply }) => {
      await db.repos.revokedTokens.revoke(user.jti, user.exp);
      return reply.status(204).send();
    },
  });

  route({
    method: 'POST',
    url: '/auth/logout-all',
    summary: 'Revoke every token of this user',
    tag: 'auth',
    access: 'viewer',
    duringPasswordChange: true,
    responses: { 204: { description: 'all tokens revoked' } },
    handler: async ({ user, reply }) => {
      await db.repos.users.setTokensValidFrom(user.id, Math.floor(nowS()) + 1);
      return reply.status(204).send();
    },
  });

  route({
    method: 'GET',
    url: '/auth/me',
    summary: 'The calling user',
    tag: 'auth',
    access: 'viewer',
    duringPasswordChange: true,
    responses: { 200: { description: 'the user', schema: meReply } },
    handler: async ({ user }) => ({ id: user.id, username: user.username, role: user.role, must_change_password: user.mustChangePassword }),
  });

  route({
    method: 'POST',
    url: '/auth/change-password',
    summary: 'Change the password; every other token of the user is revoked',
    tag: 'auth',
    access: 'viewer',
    duringPasswordChange: true,
    body: changeBody,
    responses: {
      200: { description: 'changed; a fresh login response', schema: loginReply },
      400: { description: 'same password or bad length', schema: errorSchema },
      401: { description: 'wrong current password', schema: errorSchema },
    },
    handler: async ({ user, body }) => {
      const row = await db.repos.users.findById(user.id);
      if (!row || !(await verifyPassword(body.current_password, row.passwordHash))) throw unauthorized('Current password is wrong');
      const problem = passwordProblem(body.new_password);
      if (problem) throw new ApiError(400, 'bad_password', `new_password ${problem}`);
      if (body.new_password === body.current_password) throw new ApiError(400, 'bad_password', 'new_password must differ from the current one');
      const cutoff = Math.floor(nowS()) + 1;
      await db.repos.users.updatePassword(user.id, await hashPassword(body.new_password), { mustChangePassword: false, tokensValidFrom: cutoff });
      return loginResponse({ id: row.id, role: row.role, mustChangePassword: false }, cutoff);
    },
  });
}
