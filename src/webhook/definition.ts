/**
 * The `webhook` worker of this build (CORRECTIONS #5.11): `decnet webhook` runs it
 * alone, `decnet up` as a child (unix, nats) or in process (`--bus memory`); both beat
 * `system.webhook.health` with these counters and honour stop.
 */
import type { WorkerDefinition } from '../supervisor/types.js';
import { WebhookStats } from './stats.js';
import { runWebhook } from './worker.js';

/** One worker per process, so one set of counters for its heartbeat. */
const stats = new WebhookStats();

export const webhookWorker: WorkerDefinition = {
  name: 'webhook',
  description: 'deliver bus events to webhook subscriptions (signed, durable for journaled topics, SSRF-guarded)',
  run: (deps) => runWebhook({ ...deps, stats }),
  counters: () => stats.snapshot(),
};
