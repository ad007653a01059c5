/**
 * What the routes share, built once per app and passed to each route plugin
 * (dependency injection instead of globals or fastify decorators).
 */
import type { Bus, Clock, Logger } from '../bus/index.js';
import type { DecnetConfig } from '../config/index.js';
import type { Db } from '../db/index.js';
import type { Authenticator } from './auth/guard.js';
import type { TwoBucketLimiter } from './auth/rate-limit.js';
import type { TokenSigner } from './auth/tokens.js';
import type { RouteCatalog } from './route.js';
import type { WorkerRegistry } from './workers/registry.js';
import type { SupervisorHandle } from './workers/supervisor-handle.js';

export interface ApiContext {
  readonly config: DecnetConfig;
  readonly db: Db;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly tokens: TokenSigner;
  readonly auth: Authenticator;
  readonly loginLimiter: TwoBucketLimiter;
  readonly registry: WorkerRegistry;
  /** Present when the API runs under `decnet up`. */
  readonly supervisor: SupervisorHandle | undefined;
  readonly catalog: RouteCatalog;
}
