/**
 * `system.*` payloads (eventplane.md §2, §4.2, §8.6; bus.md §3.7). Heartbeat and control
 * times are epoch seconds. `system.log` has two shapes told apart by `kind` (the
 * reference put the log's event type in the envelope `type`).
 */
import { z } from 'zod';
import { SYSTEM_BUS_HEALTH, SYSTEM_LOG, WORKER_CONTROL_START, WORKER_CONTROL_STOP } from '../constants.js';
import { count, datetime, epoch, logId, openPayload, type PayloadTypes } from './common.js';

const systemLogSchema = z.discriminatedUnion('kind', [
  /** One per committed ingest batch (none for zero rows): read the log cursor. */
  z.looseObject({ kind: z.literal('batch_committed'), component: z.string(), source: z.string(), flushed: count, first_log_id: logId, last_log_id: logId }),
  /** One per stored line, only with DECNET_INGEST_PUBLISH_LINES. */
  z.looseObject({
    kind: z.literal('line'),
    log_id: logId,
    decky: z.string(),
    service: z.string(),
    event_type: z.string(),
    attacker_ip: z.string().nullable(),
    timestamp: datetime,
  }),
]);

/** `payload.worker` must equal the topic token, or the registry ignores the beat. */
const heartbeat = { worker: z.string(), ts: epoch };

export const workerHealthSchema = z.looseObject(heartbeat);
export type WorkerHealthPayload = z.infer<typeof workerHealthSchema>;

/** The broker's beat carries its counters since start (bus.md §3.7, CORRECTIONS #3.1). */
export const busHealthSchema = z.looseObject({
  ...heartbeat,
  worker: z.literal('bus'),
  pid: z.int(),
  uptime_sec: z.number(),
  connections: count,
  subscriptions: count,
  published: count,
  delivered: count,
  dropped: count,
  refused: count,
});
export type BusHealthPayload = z.infer<typeof busHealthSchema>;

export const workerControlSchema = z.looseObject({ action: z.enum([WORKER_CONTROL_STOP, WORKER_CONTROL_START]), requested_by: z.string(), ts: epoch });
export type WorkerControlPayload = z.infer<typeof workerControlSchema>;

/** A bare signal: consumers re-read the subscriptions. */
export const subscriptionsChangedSchema = openPayload;
export type SubscriptionsChangedPayload = z.infer<typeof subscriptionsChangedSchema>;

/** Keyed by the leaf `system(eventType)` takes. */
export const systemSchemas = {
  [SYSTEM_LOG]: systemLogSchema,
  [SYSTEM_BUS_HEALTH]: busHealthSchema,
  'webhook.subscriptions_changed': subscriptionsChangedSchema,
};
export type SystemPayloads = PayloadTypes<typeof systemSchemas>;
