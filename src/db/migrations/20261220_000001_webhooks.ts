/**
 * Webhook egress (eventplane.md §4.1): `webhook_subscriptions` and the outbox
 * `webhook_deliveries` (cascade-deleted with their subscription; SQLite enforces it
 * with `foreign_keys = ON`, connection.ts).
 *
 * Indexes: the unique (subscription, event) that makes row creation idempotent; the
 * spec's (state, next_attempt_at) for due scans, expiry and retention (a final row's
 * next_attempt_at is when it became final) and (subscription_id, state, created_at) for
 * the deliveries list; (subscription_id, state, next_attempt_at) for the
 * per-subscription claim. Every index holding `state` is rewritten on each transition,
 * so there are no more than these (CORRECTIONS #6.10).
 */
import { sql } from 'kysely';
import type { DecnetMigration } from './migration.js';

export const webhooksMigration: DecnetMigration = {
  name: '20261220_000001_webhooks',
  async up(db, dialect) {
    const pg = dialect === 'postgres';
    const time = pg ? 'timestamptz' : 'text';
    const bool = pg ? 'boolean' : 'integer';
    await db.schema
      .createTable('webhook_subscriptions')
      .addColumn('id', pg ? 'uuid' : 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('secret_enc', 'text', (c) => c.notNull())
      .addColumn('previous_secret_enc', 'text')
      .addColumn('previous_secret_expires_at', time)
      .addColumn('topic_patterns', pg ? 'jsonb' : 'text', (c) => c.notNull())
      .addColumn('enabled', bool, (c) => c.notNull())
      .addColumn('circuit_state', 'text', (c) => c.notNull().defaultTo('closed').check(sql`circuit_state in ('closed', 'open', 'half_open')`))
      .addColumn('circuit_opened_at', time)
      .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_success_at', time)
      .addColumn('last_failure_at', time)
      .addColumn('last_error', 'text')
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('updated_at', time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('webhook_subscriptions_created').on('webhook_subscriptions').column('created_at').execute();

    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('id', pg ? 'uuid' : 'text', (c) => c.primaryKey())
      .addColumn('subscription_id', pg ? 'uuid' : 'text', (c) => c.notNull().references('webhook_subscriptions.id').onDelete('cascade'))
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('topic', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'delivering', 'succeeded', 'failed', 'dead')`))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', time, (c) => c.notNull())
      .addColumn('expires_at', time, (c) => c.notNull())
      .addColumn('locked_by', 'text')
      .addColumn('locked_until', time)
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('updated_at', time, (c) => c.notNull())
      .addColumn('delivered_at', time)
      .addUniqueConstraint('webhook_deliveries_event', ['subscription_id', 'event_id'])
      .execute();
    await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['state', 'next_attempt_at']).execute();
    await db.schema.createIndex('webhook_deliveries_list').on('webhook_deliveries').columns(['subscription_id', 'state', 'created_at']).execute();
    await db.schema.createIndex('webhook_deliveries_claim').on('webhook_deliveries').columns(['subscription_id', 'state', 'next_attempt_at']).execute();
  },
};
