/**
 * The tables of webhook egress (eventplane.md §4.1): subscriptions, and the delivery
 * outbox. Shapes follow schema.ts: booleans 0/1 on SQLite, times as text, JSON as a
 * string on SQLite and an object from jsonb.
 */
import type { ColumnType } from 'kysely';
import type { DbBool, DbTime } from './schema.js';

/** A nullable time column. */
export type NullableTime = ColumnType<string | null, string | null, string | null>;

export type CircuitStateColumn = 'closed' | 'open' | 'half_open';
export type DeliveryStateColumn = 'pending' | 'delivering' | 'succeeded' | 'failed' | 'dead';

export interface WebhookSubscriptionsTable {
  /** UUID. */
  id: string;
  /** Unique, 1–64 characters. */
  name: string;
  url: string;
  /** The secret sealed (secrets §1.4), AAD `webhook_subscriptions:secret_enc:<id>`. */
  secret_enc: string;
  /** The secret before the last rotation, sealed under its own column's AAD. */
  previous_secret_enc: string | null;
  /** When the previous secret stops signing (24 h after the rotation). */
  previous_secret_expires_at: NullableTime;
  /** JSON array of bus patterns, already expanded. */
  topic_patterns: ColumnType<unknown, string, string>;
  /** false: paused by an admin. */
  enabled: DbBool;
  circuit_state: CircuitStateColumn;
  circuit_opened_at: NullableTime;
  consecutive_failures: number;
  last_success_at: NullableTime;
  last_failure_at: NullableTime;
  /** ≤ 512 characters, never a secret. */
  last_error: string | null;
  created_at: DbTime;
  updated_at: DbTime;
}

export interface WebhookDeliveriesTable {
  /** UUID. */
  id: string;
  subscription_id: string;
  /** The event id (32 hex), unique with the subscription. */
  event_id: string;
  topic: string;
  /** The exact body (canonical JSON), fixed at creation. */
  body: string;
  state: DeliveryStateColumn;
  attempts: number;
  next_attempt_at: DbTime;
  /** A row not final by then becomes `dead` (`expired`): 24 h after creation or replay. */
  expires_at: DbTime;
  /** Lease holder `host:pid:start`, while `delivering`. */
  locked_by: string | null;
  locked_until: NullableTime;
  last_status: number | null;
  /** ≤ 512 characters. */
  last_error: string | null;
  created_at: DbTime;
  updated_at: DbTime;
  delivered_at: NullableTime;
}

export interface WebhookTables {
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
