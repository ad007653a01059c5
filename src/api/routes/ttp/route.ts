/** How the TTP route modules declare a route: `defineRoute` bound to the app, its authenticator and catalog. */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../../context.js';
import { defineRoute, type RouteSpec } from '../../route.js';

export type TtpRoute = <B = undefined, Q = undefined, P = undefined>(spec: RouteSpec<B, Q, P>) => void;

export function ttpRoute(app: FastifyInstance, ctx: ApiContext): TtpRoute {
  return (spec) => defineRoute(app, ctx.auth, ctx.catalog, spec);
}
