/**
 * `/api/v1/webhooks` (eventplane.md §4.2), admin only: subscriptions, their deliveries,
 * replay and the test ping. Secrets are sealed before they reach the database (AAD per
 * row), returned once by create, and never written to a log line. Every create, update
 * and delete commits, then publishes `system.webhook.subscriptions_changed`.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { isoFromEpochMs, publishSafely, topics } from '../../bus/index.js';
import { ConflictError, type WebhookDelivery, type WebhookSubscription, type WebhookSubscriptionPatch, type WriteTx } from '../../db/index.js';
import { deriveKey, loadMasterKey } from '../../secrets/index.js';
import {
  buildPatterns,
  deliverTestPing,
  generateSecret,
  openSubscriptionSecrets,
  PatternError,
  PinnedAgent,
  ROW_EXPIRY_MS,
  rotateSecret,
  sealSecret,
  UrlRefusedError,
  webhookWarnings,
  WebhookUrlGuard,
  type ConnectHook,
  type HostResolver,
} from '../../webhook/index.js';
import { TwoBucketLimiter } from '../auth/rate-limit.js';
import type { ApiContext } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { defineRoute } from '../route.js';
import { errorSchema } from './common.js';
import * as s from './webhook-schemas.js';

/** Seams for tests (and embedders): name resolution and a connect hook for the test ping. */
export interface WebhookRouteOptions {
  readonly resolver?: HostResolver;
  readonly connectHook?: ConnectHook;
  /** The master key; loaded like the runtime does (DECNET_SECRET_KEY or the key file) when absent. */
  readonly masterKey?: Buffer;
}

const NO_PATTERNS = 'Cannot clear all patterns; disable the webhook instead.';

export function registerWebhookRoutes(app: FastifyInstance, ctx: ApiContext, opts: WebhookRouteOptions = {}): void {
  const { db, config, clock, bus, log } = ctx;
  const settings = config.webhook;
  const route = <B, Q, P>(spec: Parameters<typeof defineRoute<B, Q, P>>[3]): void => defineRoute(app, ctx.auth, ctx.catalog, spec);
  const limiter = new TwoBucketLimiter(settings.createRatePerMin, () => clock.now());
  const guard = new WebhookUrlGuard({ allowPrivate: settings.allowPrivate, allowCidrs: settings.allowCidrs, clock, dnsCacheSecs: settings.dnsCacheSecs, ...(opts.resolver ? { resolver: opts.resolver } : {}) });
  const agent = new PinnedAgent({ connections: 4, ...(opts.connectHook ? { connectHook: opts.connectHook } : {}) });
  app.addHook('onClose', async () => agent.close());
  let keyPromise: Promise<Buffer> | undefined;
  const secretKey = (): Promise<Buffer> =>
    (keyPromise ??= (opts.masterKey ? Promise.resolve(opts.masterKey) : loadMasterKey({ envValue: config.secretKey, home: config.home })).then((master) => deriveKey(master, 'webhook-secret')));

  const changed = (tx: WriteTx): void => tx.afterCommit(() => publishSafely(bus, topics.WEBHOOK_SUBSCRIPTIONS_CHANGED, {}, { log, clock }));

  const respond = async (sub: WebhookSubscription): Promise<s.WebhookResponse> => {
    const counts = (await db.repos.webhookDeliveries.countsBySubscription([sub.id])).get(sub.id) ?? { pending: 0, failed: 0, dead: 0 };
    const opened = openSubscriptionSecrets(await secretKey(), sub);
    return {
      id: sub.id,
      name: sub.name,
      url: sub.url,
      topic_patterns: [...sub.topicPatterns],
      enabled: sub.enabled,
      circuit_state: sub.circuitState,
      circuit_opened_at: sub.circuitOpenedAt,
      consecutive_failures: sub.consecutiveFailures,
      last_success_at: sub.lastSuccessAt,
      last_failure_at: sub.lastFailureAt,
      last_error: sub.lastError,
      previous_secret_expires_at: sub.previousSecretExpiresAt,
      deliveries: counts,
      created_at: sub.createdAt,
      updated_at: sub.updatedAt,
      warnings: webhookWarnings({ url: sub.url, patterns: sub.topicPatterns, durableTopics: config.journal.durableTopics, secretUnreadable: opened.ok ? undefined : opened.reason }),
    };
  };

  const patterns = (simple: readonly string[] | undefined, advanced: readonly string[] | undefined, emptyMessage: string): string[] => {
    let list: string[];
    try {
      list = buildPatterns(simple, advanced);
    } catch (err) {
      if (err instanceof PatternError) throw new ApiError(400, 'invalid_patterns', err.message);
      throw err;
    }
    if (list.length === 0) throw new ApiError(400, 'invalid_patterns', emptyMessage);
    return list;
  };

  const checkUrl = async (url: string): Promise<void> => {
    try {
      await guard.checkUrl(url);
    } catch (err) {
      if (err instanceof UrlRefusedError) throw new ApiError(422, 'url_refused', `URL refused: ${err.message}`, { reason: err.reason });
      throw err;
    }
  };

  const nameFree = async (name: string): Promise<void> => {
    if (await db.repos.webhookSubscriptions.findByName(name)) throw new ApiError(409, 'conflict', `a webhook named ${JSON.stringify(name)} exists`);
  };

  const asConflict = (err: unknown): never => {
    if (err instanceof ConflictError) throw new ApiError(409, 'conflict', err.message);
    throw err;
  };

  const find = async (id: string): Promise<WebhookSubscription> => {
    const sub = await db.repos.webhookSubscriptions.findById(id);
    if (!sub) throw notFound('Webhook not found');
    return sub;
  };

  const notFoundReply = { description: 'no such webhook', schema: errorSchema };

  route({
    method: 'POST',
    url: '/webhooks',
    summary: 'Create a webhook subscription; the answer carries its secret, this once',
    tag: 'webhooks',
    access: 'admin',
    body: s.createBody,
    responses: {
      201: { description: 'created (with `secret`)', schema: s.webhookCreated },
      400: { description: 'no or invalid patterns', schema: errorSchema },
      409: { description: 'name taken', schema: errorSchema },
      422: { description: 'URL refused (scheme, host, userinfo, address, DNS)', schema: errorSchema },
      429: { description: 'past DECNET_WEBHOOK_CREATE_RATE_PER_MIN (20) creates this minute by this user', schema: errorSchema },
    },
    handler: async ({ body, user, reply }) => {
      if (!limiter.allowKey(user.id)) throw new ApiError(429, 'rate_limited', `Too many webhooks created; at most ${settings.createRatePerMin} a minute`);
      const topicPatterns = patterns(body.simple_events, body.topic_patterns, 'no topic patterns: give simple_events or topic_patterns');
      await nameFree(body.name);
      await checkUrl(body.url);
      const secret = body.secret ?? generateSecret();
      const id = randomUUID();
      const key = await secretKey();
      const sub = await db
        .write(async (tx) => {
          const created = await db.repos.webhookSubscriptions.create({ id, name: body.name, url: body.url, secretEnc: sealSecret(key, id, 'secret_enc', secret), topicPatterns, enabled: body.enabled }, tx);
          changed(tx);
          return created;
        })
        .catch(asConflict);
      log.info({ webhook: sub.id, name: sub.name, by: user.username }, 'webhook created');
      return reply.status(201).send({ ...(await respond(sub)), secret });
    },
  });

  route({
    method: 'GET',
    url: '/webhooks',
    summary: 'Webhook subscriptions, oldest first',
    tag: 'webhooks',
    access: 'admin',
    query: s.page,
    responses: { 200: { description: 'the subscriptions', schema: s.webhookList } },
    handler: async ({ query }) => {
      const { rows, total } = await db.repos.webhookSubscriptions.list(query);
      return { webhooks: await Promise.all(rows.map(respond)), total };
    },
  });

  route({
    method: 'GET',
    url: '/webhooks/:id',
    summary: 'One webhook subscription',
    tag: 'webhooks',
    access: 'admin',
    params: s.idParams,
    responses: { 200: { description: 'the subscription', schema: s.webhookResponse }, 404: notFoundReply },
    handler: async ({ params }) => respond(await find(params.id)),
  });

  route({
    method: 'PATCH',
    url: '/webhooks/:id',
    summary: 'Change a subscription; `secret` rotates (the old one signs 24 h more); `enabled: true` also closes the circuit',
    tag: 'webhooks',
    access: 'admin',
    params: s.idParams,
    body: s.patchBody,
    responses: {
      200: { description: 'the subscription', schema: s.webhookResponse },
      400: { description: 'invalid patterns, or all cleared', schema: errorSchema },
      404: notFoundReply,
      409: { description: 'name taken', schema: errorSchema },
      422: { description: 'URL refused', schema: errorSchema },
    },
    handler: async ({ params, body, user }) => {
      const existing = await find(params.id);
      const patch: { -readonly [K in keyof WebhookSubscriptionPatch]: WebhookSubscriptionPatch[K] } = {};
      if (body.name !== undefined && body.name !== existing.name) {
        await nameFree(body.name);
        patch.name = body.name;
      }
      if (body.simple_events !== undefined || body.topic_patterns !== undefined) patch.topicPatterns = patterns(body.simple_events ?? [], body.topic_patterns ?? [], NO_PATTERNS);
      if (body.url !== undefined) {
        await checkUrl(body.url);
        patch.url = body.url;
      }
      if (body.secret !== undefined) Object.assign(patch, rotateSecret(await secretKey(), existing, body.secret, clock.now()));
      if (body.enabled !== undefined) patch.enabled = body.enabled;
      if (body.enabled === true) patch.resetCircuit = true;
      const updated = await db
        .write(async (tx) => {
          const row = await db.repos.webhookSubscriptions.update(existing.id, patch, tx);
          if (row && body.enabled === true) await db.repos.webhookDeliveries.makeDue(tx, row.id, isoFromEpochMs(clock.now()), 'all');
          if (row) changed(tx);
          return row;
        })
        .catch(asConflict);
      if (!updated) throw notFound('Webhook not found');
      log.info({ webhook: updated.id, by: user.username, fields: Object.keys(body).filter((k) => k !== 'secret').concat(body.secret === undefined ? [] : ['secret (rotated)']) }, 'webhook updated');
      return respond(updated);
    },
  });

  route({
    method: 'DELETE',
    url: '/webhooks/:id',
    summary: 'Delete a subscription and its delivery rows',
    tag: 'webhooks',
    access: 'admin',
    params: s.idParams,
    responses: { 200: { description: 'deleted', schema: s.deleted }, 404: notFoundReply },
    handler: async ({ params, user }) => {
      const gone = await db.write(async (tx) => {
        const removed = await db.repos.webhookSubscriptions.delete(params.id, tx);
        if (removed) changed(tx);
        return removed;
      });
      if (!gone) throw notFound('Webhook not found');
      log.info({ webhook: params.id, by: user.username }, 'webhook deleted');
      return { message: 'Webhook deleted' };
    },
  });

  route({
    method: 'POST',
    url: '/webhooks/:id/test',
    summary: 'Send one synthetic `test.ping` event now (one attempt, no row; works while paused or open)',
    tag: 'webhooks',
    access: 'admin',
    params: s.idParams,
    responses: { 200: { description: 'the attempt', schema: s.pingReply }, 404: notFoundReply },
    handler: async ({ params, user }) => {
      const sub = await find(params.id);
      const opened = openSubscriptionSecrets(await secretKey(), sub);
      if (!opened.ok) return { delivered: false, error: `secret_unreadable: ${opened.reason}` };
      return deliverTestPing({ url: sub.url, secrets: opened.secrets }, user.username, { guard, agent, clock, timeoutMs: settings.timeoutSecs * 1000 });
    },
  });

  route({
    method: 'GET',
    url: '/webhooks/:id/deliveries',
    summary: 'Delivery rows of a subscription, newest first, without body',
    tag: 'webhooks',
    access: 'admin',
    params: s.idParams,
    query: s.deliveriesQuery,
    responses: { 200: { description: 'the rows', schema: s.deliveryList }, 400: { description: 'bad state or paging', schema: errorSchema }, 404: notFoundReply },
    handler: async ({ params, query }) => {
      const sub = await find(params.id);
      const { rows, total } = await db.repos.webhookDeliveries.list(sub.id, { ...(query.state === undefined ? {} : { state: query.state }), limit: query.limit, offset: query.offset });
      return { deliveries: rows.map(deliveryOut), total };
    },
  });

  route({
    method: 'GET',
    url: '/webhooks/:id/deliveries/:delivery_id',
    summary: 'One delivery row, with the exact body',
    tag: 'webhooks',
    access: 'admin',
    params: s.deliveryParams,
    responses: { 200: { description: 'the row', schema: s.deliveryDetail }, 404: { description: 'no such webhook or delivery', schema: errorSchema } },
    handler: async ({ params }) => {
      const row = await db.repos.webhookDeliveries.get(params.id, params.delivery_id);
      if (!row) throw notFound('Delivery not found');
      return { ...deliveryOut(row), body: row.body };
    },
  });

  route({
    method: 'POST',
    url: '/webhooks/:id/deliveries/:delivery_id/replay',
    summary: 'Send a delivery again: back to pending, attempts 0, due now, same event id and body',
    tag: 'webhooks',
    access: 'admin',
    params: s.deliveryParams,
    responses: { 202: { description: 'queued', schema: s.replayed }, 404: { description: 'no such webhook or delivery', schema: errorSchema }, 409: { description: 'pending or delivering', schema: errorSchema } },
    handler: async ({ params, reply, user }) => {
      const now = clock.now();
      const outcome = await db.repos.webhookDeliveries.replay(params.id, params.delivery_id, isoFromEpochMs(now), isoFromEpochMs(now + ROW_EXPIRY_MS));
      if (outcome === 'not_found') throw notFound('Delivery not found');
      if (outcome === 'busy') throw new ApiError(409, 'conflict', 'the delivery is pending or in flight; replay a final row');
      log.info({ webhook: params.id, delivery: params.delivery_id, by: user.username }, 'webhook delivery replayed');
      return reply.status(202).send({ id: params.delivery_id, state: 'pending' });
    },
  });
}

function deliveryOut(row: WebhookDelivery): z.infer<typeof s.delivery> {
  return {
    id: row.id,
    subscription_id: row.subscriptionId,
    event_id: row.eventId,
    topic: row.topic,
    state: row.state,
    attempts: row.attempts,
    next_attempt_at: row.nextAttemptAt,
    last_status: row.lastStatus,
    last_error: row.lastError,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    delivered_at: row.deliveredAt,
  };
}
