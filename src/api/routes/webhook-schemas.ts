/**
 * Schemas of `/api/v1/webhooks` (eventplane.md §4.2). `webhookResponse` never holds the
 * secret; only `webhookCreated` (the create answer) adds it, once.
 */
import { z } from 'zod';
import { secretProblem } from '../../webhook/index.js';

const secret = z.string().refine((s) => secretProblem(s) === undefined, { message: 'secret must be 16–256 bytes of UTF-8' });
const patternList = z.array(z.string().max(512)).max(256);
const simpleEvents = z.array(z.string().max(64)).max(16);

export const createBody = z.object({
  name: z.string().min(1).max(64),
  url: z.string().min(1).max(2048),
  secret: secret.optional(),
  simple_events: simpleEvents.optional(),
  topic_patterns: patternList.optional(),
  enabled: z.boolean().default(true),
});

export const patchBody = z.object({
  name: z.string().min(1).max(64).optional(),
  url: z.string().min(1).max(2048).optional(),
  secret: secret.optional(),
  simple_events: simpleEvents.optional(),
  topic_patterns: patternList.optional(),
  enabled: z.boolean().optional(),
});

const time = z.string().nullable();

export const webhookResponse = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  topic_patterns: z.array(z.string()),
  enabled: z.boolean(),
  circuit_state: z.enum(['closed', 'open', 'half_open']),
  circuit_opened_at: time,
  consecutive_failures: z.int(),
  last_success_at: time,
  last_failure_at: time,
  last_error: z.string().nullable(),
  previous_secret_expires_at: time,
  deliveries: z.object({ pending: z.int(), failed: z.int(), dead: z.int() }),
  created_at: z.string(),
  updated_at: z.string(),
  warnings: z.array(z.string()),
});
export type WebhookResponse = z.infer<typeof webhookResponse>;

/** The create answer: the one response that carries the secret. */
export const webhookCreated = webhookResponse.extend({ secret: z.string() });

export const webhookList = z.object({ webhooks: z.array(webhookResponse), total: z.int() });

export const page = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export const DELIVERY_STATES = ['pending', 'delivering', 'succeeded', 'failed', 'dead'] as const;

export const deliveriesQuery = page.extend({ state: z.enum(DELIVERY_STATES).optional() });

export const delivery = z.object({
  id: z.string(),
  subscription_id: z.string(),
  event_id: z.string(),
  topic: z.string(),
  state: z.enum(DELIVERY_STATES),
  attempts: z.int(),
  next_attempt_at: z.string(),
  last_status: z.int().nullable(),
  last_error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  delivered_at: time,
});

export const deliveryDetail = delivery.extend({ body: z.string().describe('the exact bytes sent (canonical JSON)') });
export const deliveryList = z.object({ deliveries: z.array(delivery), total: z.int() });
export const replayed = z.object({ id: z.string(), state: z.literal('pending') });
export const pingReply = z.object({ delivered: z.boolean(), status_code: z.int().optional(), error: z.string().optional() });
export const deleted = z.object({ message: z.string() });
export const idParams = z.object({ id: z.string() });
export const deliveryParams = z.object({ id: z.string(), delivery_id: z.string() });
