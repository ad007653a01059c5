/**
 * The HTTP API (fastify), under /api/v1. `buildApi` wires the routes to their
 * dependencies; it opens no socket, so tests can `inject()` or `listen()`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Bus, Clock, Logger } from '../bus/index.js';
import type { DecnetConfig } from '../config/index.js';
import type { Db } from '../db/index.js';
import { Authenticator } from './auth/guard.js';
import { TwoBucketLimiter } from './auth/rate-limit.js';
import { TokenSigner } from './auth/tokens.js';
import type { ApiContext } from './context.js';
import { installErrorHandler } from './errors.js';
import { buildOpenApi } from './openapi.js';
import { API_PREFIX, type RouteCatalog } from './route.js';
import type { AttackerApiExtension } from '../correlate/index.js';
import { attackerRoutes } from './routes/attackers.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerCredentialReuseRoutes } from './routes/credential-reuse.js';
import { registerHealthRoute } from './routes/health.js';
import { registerLogRoutes } from './routes/logs.js';
import { registerTtpRoutes } from './routes/ttp/index.js';
import { registerWebhookRoutes, type WebhookRouteOptions } from './routes/webhooks.js';
import { registerWorkerRoutes } from './routes/workers.js';
import { registerStreamRoutes } from './stream/index.js';
import { WorkerRegistry } from './workers/registry.js';
import type { SupervisorHandle } from './workers/supervisor-handle.js';

export const API_VERSION = '0.1.0';
/** Request bodies are capped at 1 MiB (eventplane.md §1.1). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface ApiDeps {
  readonly config: DecnetConfig;
  readonly db: Db;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  /** 32 bytes derived from the master key for JWTs. */
  readonly jwtKey: Uint8Array;
  readonly supervisor?: SupervisorHandle;
  /** Fields later issues add to the attacker routes (default: ATTACKER_API_EXTENSIONS; CORRECTIONS #7.15). */
  readonly attackerExtensions?: readonly AttackerApiExtension[];
  /** Extra route plugins (later issues add theirs here). */
  readonly plugins?: ReadonlyArray<(app: FastifyInstance, ctx: ApiContext) => void>;
  /** Webhook egress seams: tests inject a resolver and a loopback-only connect hook. */
  readonly webhook?: WebhookRouteOptions;
}

export interface Api {
  readonly app: FastifyInstance;
  readonly ctx: ApiContext;
}

export function buildApi(deps: ApiDeps): Api {
  const { config, db, bus, clock, log } = deps;
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES, trustProxy: false, forceCloseConnections: true });
  installErrorHandler(app, log);
  // the request log never writes query strings: tickets and tokens travel there
  app.addHook('onResponse', async (req, reply) => {
    log.debug({ method: req.method, path: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
  });
  const tokens = new TokenSigner(deps.jwtKey, config.api.jwtTtlSecs, () => clock.now() / 1000);
  const catalog: RouteCatalog = { specs: [] };
  const ctx: ApiContext = {
    config,
    db,
    bus,
    clock,
    log,
    tokens,
    auth: new Authenticator(db, tokens),
    loginLimiter: new TwoBucketLimiter(config.api.loginRatePerMin, () => clock.now()),
    registry: new WorkerRegistry(bus, clock, config.workers.okWindowSecs, log),
    supervisor: deps.supervisor,
    catalog,
  };
  ctx.registry.start();
  app.addHook('onClose', async () => {
    await ctx.registry.stop();
  });
  for (const register of [registerHealthRoute, registerAuthRoutes, registerWorkerRoutes, registerStreamRoutes, attackerRoutes(deps.attackerExtensions), registerCredentialReuseRoutes, registerLogRoutes, registerTtpRoutes, (a: FastifyInstance, c: ApiContext) => registerWebhookRoutes(a, c, deps.webhook), ...(deps.plugins ?? [])]) register(app, ctx);
  let openapi: Record<string, unknown> | undefined;
  app.get(`${API_PREFIX}/openapi.json`, async () => (openapi ??= buildOpenApi(catalog, API_VERSION)));
  return { app, ctx };
}
