/**
 * What the API reads of the outbox (eventplane.md §4.2): the deliveries list (newest
 * first, no body), one delivery with its body, counts per subscription and in all,
 * and replay. Split from webhook-deliveries.ts, the worker's write path.
 */
import type { Selectable } from 'kysely';
import type { WebhookDeliveriesTable } from '../webhook-tables.js';
import { isoFromDb, isoFromDbOrNull } from '../time.js';
import { affected, inWrite, reader, type RepoContext } from './context.js';
import type { DeliveryState, StateCounts, WebhookDeliveriesRepo, WebhookDelivery } from './webhook-deliveries.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type DeliveryViews = Pick<WebhookDeliveriesRepo, 'countsBySubscription' | 'totals' | 'list' | 'get' | 'replay'>;

function toDelivery(row: Omit<Selectable<WebhookDeliveriesTable>, 'body' | 'locked_by' | 'locked_until' | 'expires_at'>): WebhookDelivery {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    eventId: row.event_id.trim(),
    topic: row.topic,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: isoFromDb(row.next_attempt_at),
    lastStatus: row.last_status,
    lastError: row.last_error,
    createdAt: isoFromDb(row.created_at),
    updatedAt: isoFromDb(row.updated_at),
    deliveredAt: isoFromDbOrNull(row.delivered_at),
  };
}

const LIST_COLUMNS = ['id', 'subscription_id', 'event_id', 'topic', 'state', 'attempts', 'next_attempt_at', 'last_status', 'last_error', 'created_at', 'updated_at', 'delivered_at'] as const;

function emptyCounts(): StateCounts {
  return { pending: 0, failed: 0, dead: 0 };
}

function addCount(counts: StateCounts, state: string, n: number): void {
  if (state === 'pending' || state === 'delivering') counts.pending += n;
  else if (state === 'failed') counts.failed += n;
  else if (state === 'dead') counts.dead += n;
}

export function createDeliveryViews(ctx: RepoContext): DeliveryViews {
  return {
    async countsBySubscription(ids, tx) {
      const out = new Map<string, StateCounts>();
      const valid = ids.filter((id) => UUID_RE.test(id));
      if (valid.length === 0) return out;
      const rows = await reader(ctx, tx)
        .selectFrom('webhook_deliveries')
        .select((eb) => ['subscription_id', 'state', eb.fn.countAll<number | string>().as('n')])
        .where('subscription_id', 'in', valid)
        .where('state', 'in', ['pending', 'delivering', 'failed', 'dead'])
        .groupBy(['subscription_id', 'state'])
        .execute();
      for (const r of rows) {
        let counts = out.get(r.subscription_id);
        if (!counts) out.set(r.subscription_id, (counts = emptyCounts()));
        addCount(counts, r.state, Number(r.n));
      }
      return out;
    },

    async totals(tx) {
      const rows = await reader(ctx, tx)
        .selectFrom('webhook_deliveries')
        .select((eb) => ['state', eb.fn.countAll<number | string>().as('n')])
        .where('state', 'in', ['pending', 'delivering', 'failed', 'dead'])
        .groupBy('state')
        .execute();
      const counts = emptyCounts();
      for (const r of rows) addCount(counts, r.state, Number(r.n));
      return counts;
    },

    async list(subscriptionId, opts, tx) {
      if (!UUID_RE.test(subscriptionId)) return { rows: [], total: 0 };
      const db = reader(ctx, tx);
      const states: DeliveryState[] | undefined = opts.state === undefined ? undefined : opts.state === 'pending' ? ['pending', 'delivering'] : [opts.state];
      let base = db.selectFrom('webhook_deliveries').where('subscription_id', '=', subscriptionId);
      if (states) base = base.where('state', 'in', states);
      const rows = await base.select([...LIST_COLUMNS]).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).offset(opts.offset).execute();
      const { n } = await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      return { rows: rows.map(toDelivery), total: Number(n) };
    },

    async get(subscriptionId, id, tx) {
      if (!UUID_RE.test(subscriptionId) || !UUID_RE.test(id)) return undefined;
      const row = await reader(ctx, tx).selectFrom('webhook_deliveries').select([...LIST_COLUMNS, 'body']).where('subscription_id', '=', subscriptionId).where('id', '=', id).executeTakeFirst();
      return row ? { ...toDelivery(row), body: row.body } : undefined;
    },

    replay: (subscriptionId, id, now, expiresAt, tx) =>
      inWrite(ctx, tx, async (t) => {
        if (!UUID_RE.test(subscriptionId) || !UUID_RE.test(id)) return 'not_found';
        const result = await t.db
          .updateTable('webhook_deliveries')
          .set({ state: 'pending', attempts: 0, next_attempt_at: now, expires_at: expiresAt, locked_by: null, locked_until: null, delivered_at: null, updated_at: now })
          .where('subscription_id', '=', subscriptionId)
          .where('id', '=', id)
          .where('state', 'in', ['succeeded', 'failed', 'dead'])
          .executeTakeFirst();
        if (affected(result) > 0) return 'replayed';
        const exists = await t.db.selectFrom('webhook_deliveries').select('state').where('subscription_id', '=', subscriptionId).where('id', '=', id).executeTakeFirst();
        return exists ? 'busy' : 'not_found';
      }),
  };
}
