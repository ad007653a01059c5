/**
 * Schema-first routes: one declaration gives validation (zod), the handler's
 * types and the OpenAPI entry. Body failures answer 422, query and path
 * failures 400, both with `details` (CORRECTIONS #5.14). Auth runs before
 * validation, so ids cannot be probed without a token.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError } from './errors.js';
import type { AuthUser, Authenticator } from './auth/guard.js';

export type Access = 'public' | 'viewer' | 'admin';
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteContext<B, Q, P> {
  readonly req: FastifyRequest;
  readonly reply: FastifyReply;
  readonly body: B;
  readonly query: Q;
  readonly params: P;
  /** Set for viewer and admin routes. */
  readonly user: AuthUser;
}

export interface RouteSpec<B, Q, P> {
  readonly method: Method;
  /** Fastify path under /api/v1, e.g. `/workers/:name/stop`. */
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: Access;
  /** Allowed while the user must still change their password. */
  readonly duringPasswordChange?: boolean;
  /** Only a Bearer header, never a stream ticket. */
  readonly body?: z.ZodType<B>;
  readonly query?: z.ZodType<Q>;
  readonly params?: z.ZodType<P>;
  /** Status → description and schema (for OpenAPI). */
  readonly responses: Record<number, { description: string; schema?: z.ZodType }>;
  readonly handler: (ctx: RouteContext<B, Q, P>) => Promise<unknown>;
}

export interface RouteCatalog {
  readonly specs: Array<RouteSpec<unknown, unknown, unknown>>;
}

export const API_PREFIX = '/api/v1';

function issues(err: z.ZodError): Array<{ path: string; message: string }> {
  return err.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: 'body' | 'query' | 'path'): T {
  if (!schema) return undefined as T;
  const r = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (r.success) return r.data;
  const status = where === 'body' ? 422 : 400;
  const list = issues(r.error);
  const first = list[0];
  throw new ApiError(status, 'validation_error', `invalid ${where}${first ? `: ${first.path}: ${first.message}` : ''}`, list);
}

/** Registers a route on `app` and records it in the catalog for OpenAPI. */
export function defineRoute<B = undefined, Q = undefined, P = undefined>(app: FastifyInstance, auth: Authenticator, catalog: RouteCatalog, spec: RouteSpec<B, Q, P>): void {
  catalog.specs.push(spec as unknown as RouteSpec<unknown, unknown, unknown>);
  app.route({
    method: spec.method,
    url: `${API_PREFIX}${spec.url}`,
    handler: async (req, reply) => {
      let user: AuthUser | undefined;
      if (spec.access !== 'public') {
        user = await auth.authenticate(req);
        auth.authorize(user, spec.access, spec.duringPasswordChange === true);
      }
      const params = parse(spec.params, req.params, 'path');
      const query = parse(spec.query, req.query, 'query');
      const body = parse(spec.body, req.body, 'body');
      const result = await spec.handler({ req, reply, body, query, params, user: user as AuthUser });
      if (reply.sent || reply.raw.headersSent) return reply;
      return result;
    },
  });
}
