/**
 * The webhook outbox (eventplane.md §4.1, §4.5): one row per (subscription, event),
 * created before any attempt, moved through `pending → delivering → succeeded | failed
 * | dead` by conditional updates. A claim is `UPDATE … WHERE id IN (due rows LIMIT n)
 * AND state = <the state read>` (with SKIP LOCKED on PostgreSQL), so two workers never
 * hold one row. The dispatcher's per-cycle statements (claim, results) run as prepared
 * statements on SQLite (CORRECTIONS #6.10, #7.14: kysely's per-query build and prepare
 * was most of a cycle's cost) and through kysely on PostgreSQL. The body is stored as
 * text: canonical JSON is valid UTF-8 text, so its bytes are exactly what was built.
 */
import type { DeliveryStateColumn } from '../webhook-tables.js';
import { isoFromDb } from '../time.js';
import type { WriteTx } from '../unit-of-work.js';
import { affected, reader, type RepoContext } from './context.js';
import { sqlitePrepared } from './prepared.js';
import { createDeliveryViews } from './webhook-delivery-views.js';

export type DeliveryState = DeliveryStateColumn;

export interface NewDelivery {
  readonly id: string;
  readonly subscriptionId: string;
  readonly eventId: string;
  readonly topic: string;
  readonly body: string;
}

export interface ClaimedDelivery {
  readonly id: string;
  readonly subscriptionId: string;
  readonly eventId: string;
  readonly topic: string;
  readonly body: string;
  /** Including this attempt. */
  readonly attempts: number;
  /** The state it was claimed from (an unclaimed row goes back to it). */
  readonly priorState: 'pending' | 'failed';
}

export interface WebhookDelivery {
  readonly id: string;
  readonly subscriptionId: string;
  readonly eventId: string;
  readonly topic: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  /** When it is due; for a final row (`succeeded`, `dead`), when it became final. */
  readonly nextAttemptAt: string;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deliveredAt: string | null;
}

export interface ClaimRequest {
  readonly subscriptionId: string;
  readonly limit: number;
  readonly now: string;
  readonly lockedBy: string;
  readonly lockedUntil: string;
  /** `due`: earliest next_attempt_at first; `oldest`: earliest created first (the half-open probe). */
  readonly order: 'due' | 'oldest';
}

/** A failed attempt's outcome for one row. */
export interface FailureRecord {
  readonly id: string;
  readonly state: 'pending' | 'failed' | 'dead';
  /** Ignored when dead. */
  readonly nextAttemptAt: string;
  readonly lastStatus: number | null;
  readonly lastError: string;
}

export interface StateCounts {
  /** `pending` and `delivering` (CORRECTIONS #6.9). */
  pending: number;
  failed: number;
  dead: number;
}

export interface WebhookDeliveriesRepo {
  /** Inserts in the caller's transaction, skipping (subscription, event) pairs that exist; returns rows inserted. */
  insertMany(tx: WriteTx, rows: readonly NewDelivery[], now: string, expiresAt: string): Promise<number>;
  /** Leases up to `limit` due `pending` and `failed` rows of one subscription (attempts + 1). */
  claim(tx: WriteTx, req: ClaimRequest): Promise<ClaimedDelivery[]>;
  /** Gives leased rows back untried: their prior state, attempts − 1, next attempt unchanged. */
  unclaim(tx: WriteTx, rows: ReadonlyArray<Pick<ClaimedDelivery, 'id' | 'priorState'>>, lockedBy: string, now: string): Promise<void>;
  /** Marks leased rows succeeded (only those still held by `lockedBy`). */
  markSucceeded(tx: WriteTx, ids: readonly string[], lockedBy: string, lastStatuses: ReadonlyMap<string, number>, now: string): Promise<void>;
  markFailed(tx: WriteTx, record: FailureRecord, lockedBy: string, now: string): Promise<void>;
  /** Makes waiting rows of a subscription due now: `failed` ones, or (`all`) `pending` too. */
  makeDue(tx: WriteTx, subscriptionId: string, now: string, which: 'failed' | 'all'): Promise<number>;
  /** Lease holders of `delivering` rows. */
  lockHolders(tx?: WriteTx): Promise<string[]>;
  /** Returns rows leased by `holders` (or with a lease expired before `now`, not held by `except`) to `pending`, due now. */
  releaseLeases(tx: WriteTx, opts: { readonly holders?: readonly string[]; readonly expiredBefore?: string; readonly except?: string }, now: string): Promise<number>;
  /** `pending`/`failed` rows whose expiry passed become `dead` (`expired`). */
  expire(tx: WriteTx, now: string): Promise<number>;
  /** Deletes succeeded rows final before `succeededBefore` and dead ones before `deadBefore`. */
  prune(tx: WriteTx, succeededBefore: string, deadBefore: string): Promise<number>;
  /** Counts per subscription (absent = all zero). */
  countsBySubscription(ids: readonly string[], tx?: WriteTx): Promise<Map<string, StateCounts>>;
  totals(tx?: WriteTx): Promise<StateCounts>;
  /** Newest first, without body. */
  list(subscriptionId: string, opts: { readonly state?: DeliveryState; readonly limit: number; readonly offset: number }, tx?: WriteTx): Promise<{ rows: WebhookDelivery[]; total: number }>;
  get(subscriptionId: string, id: string, tx?: WriteTx): Promise<(WebhookDelivery & { readonly body: string }) | undefined>;
  /** Resets a final row to pending, attempts 0, due now; `busy` while pending or delivering. */
  replay(subscriptionId: string, id: string, now: string, expiresAt: string, tx?: WriteTx): Promise<'not_found' | 'busy' | 'replayed'>;
}

/** Rows per INSERT (16 parameters each, far below either driver's limit). */
const INSERT_CHUNK = 500;

/** The SQLite hot path's statements (prepared once per connection). */
const SQL = {
  insert:
    'insert into webhook_deliveries (id, subscription_id, event_id, topic, body, state, attempts, next_attempt_at, expires_at, created_at, updated_at) ' +
    "values (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?) on conflict (subscription_id, event_id) do nothing",
  dueByNext: 'select id, next_attempt_at as k from webhook_deliveries where subscription_id = ? and state = ? and next_attempt_at <= ? order by next_attempt_at limit ?',
  dueByCreated: 'select id, created_at as k from webhook_deliveries where subscription_id = ? and state = ? and next_attempt_at <= ? order by created_at limit ?',
  lease:
    "update webhook_deliveries set state = 'delivering', attempts = attempts + 1, locked_by = ?, locked_until = ?, updated_at = ? where id = ? and state in ('pending', 'failed') " +
    'returning id, subscription_id, event_id, topic, body, attempts',
  succeeded: "update webhook_deliveries set state = 'succeeded', next_attempt_at = ?, locked_by = null, locked_until = null, last_status = ?, last_error = null, delivered_at = ?, updated_at = ? where id = ? and locked_by = ?",
  retry: 'update webhook_deliveries set state = ?, next_attempt_at = ?, locked_by = null, locked_until = null, last_status = ?, last_error = ?, updated_at = ? where id = ? and locked_by = ?',
  unclaim: 'update webhook_deliveries set state = ?, attempts = attempts - 1, locked_by = null, locked_until = null, updated_at = ? where id = ? and locked_by = ?',
  dead: "update webhook_deliveries set state = 'dead', next_attempt_at = ?, locked_by = null, locked_until = null, last_status = ?, last_error = ?, updated_at = ? where id = ? and locked_by = ?",
} as const;

interface LeasedRow {
  id: string;
  subscription_id: string;
  event_id: string;
  topic: string;
  body: string;
  attempts: number;
}

export function createWebhookDeliveriesRepo(ctx: RepoContext): WebhookDeliveriesRepo {
  const pg = ctx.dialect === 'postgres';
  const views = createDeliveryViews(ctx);

  /** Ids of due rows in one state, in claim order (SKIP LOCKED on PostgreSQL: another worker's pick is passed over). */
  const dueIds = async (tx: WriteTx, req: ClaimRequest, state: 'pending' | 'failed'): Promise<Array<{ id: string; key: string; state: 'pending' | 'failed' }>> => {
    const prepared = sqlitePrepared(ctx, tx, req.order === 'due' ? SQL.dueByNext : SQL.dueByCreated);
    if (prepared) return (prepared.all(req.subscriptionId, state, req.now, req.limit) as Array<{ id: string; key: string }>).map((r) => ({ ...r, state }));
    const column = req.order === 'due' ? 'next_attempt_at' : 'created_at';
    const q = tx.db
      .selectFrom('webhook_deliveries')
      .select(['id', column])
      .where('subscription_id', '=', req.subscriptionId)
      .where('state', '=', state)
      .where('next_attempt_at', '<=', req.now)
      .orderBy(column)
      .limit(req.limit);
    const rows = await (pg ? q.forUpdate().skipLocked() : q).execute();
    return rows.map((r) => ({ id: r.id, key: isoFromDb((r as Record<string, string>)[column] as string), state }));
  };

  return {
    ...views,

    async insertMany(tx, rows, now, expiresAt) {
      let inserted = 0;
      const prepared = sqlitePrepared(ctx, tx, SQL.insert);
      if (prepared) {
        for (const r of rows) inserted += prepared.run(r.id, r.subscriptionId, r.eventId, r.topic, r.body, now, expiresAt, now, now).changes;
        return inserted;
      }
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        const chunk = rows.slice(i, i + INSERT_CHUNK).map((r) => ({
          id: r.id,
          subscription_id: r.subscriptionId,
          event_id: r.eventId,
          topic: r.topic,
          body: r.body,
          state: 'pending' as const,
          attempts: 0,
          next_attempt_at: now,
          expires_at: expiresAt,
          locked_by: null,
          locked_until: null,
          last_status: null,
          last_error: null,
          created_at: now,
          updated_at: now,
          delivered_at: null,
        }));
        const result = await tx.db
          .insertInto('webhook_deliveries')
          .values(chunk)
          .onConflict((oc) => oc.columns(['subscription_id', 'event_id']).doNothing())
          .executeTakeFirst();
        inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
      }
      return inserted;
    },

    async claim(tx, req) {
      if (req.limit < 1) return [];
      // one index walk per state with a LIMIT (an IN over both states would make SQLite
      // sort every due row of the subscription), merged here
      const picked = [...(await dueIds(tx, req, 'pending')), ...(await dueIds(tx, req, 'failed'))]
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .slice(0, req.limit);
      if (picked.length === 0) return [];
      const prior = new Map(picked.map((r) => [r.id, r.state]));
      const lease = sqlitePrepared(ctx, tx, SQL.lease);
      if (lease) {
        const out: ClaimedDelivery[] = [];
        for (const { id, state } of picked) {
          const r = lease.get(req.lockedBy, req.lockedUntil, req.now, id) as LeasedRow | undefined;
          if (r) out.push({ id: r.id, subscriptionId: r.subscription_id, eventId: r.event_id, topic: r.topic, body: r.body, attempts: r.attempts, priorState: state });
        }
        return out;
      }
      const rows = await tx.db
        .updateTable('webhook_deliveries')
        .set((eb) => ({ state: 'delivering', attempts: eb('attempts', '+', 1), locked_by: req.lockedBy, locked_until: req.lockedUntil, updated_at: req.now }))
        .where(
          'id',
          'in',
          picked.map((r) => r.id),
        )
        .where('state', 'in', ['pending', 'failed'])
        .returning(['id', 'subscription_id', 'event_id', 'topic', 'body', 'attempts'])
        .execute();
      const order = new Map(picked.map((r, i) => [r.id, i]));
      return rows
        .map((r) => ({ id: r.id, subscriptionId: r.subscription_id, eventId: r.event_id.trim(), topic: r.topic, body: r.body, attempts: r.attempts, priorState: prior.get(r.id) ?? 'pending' }))
        .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    },

    async unclaim(tx, rows, lockedBy, now) {
      const prepared = sqlitePrepared(ctx, tx, SQL.unclaim);
      for (const r of rows) {
        if (prepared) prepared.run(r.priorState, now, r.id, lockedBy);
        else
          await tx.db
            .updateTable('webhook_deliveries')
            .set((eb) => ({ state: r.priorState, attempts: eb('attempts', '-', 1), locked_by: null, locked_until: null, updated_at: now }))
            .where('id', '=', r.id)
            .where('locked_by', '=', lockedBy)
            .execute();
      }
    },

    async markSucceeded(tx, ids, lockedBy, lastStatuses, now) {
      if (ids.length === 0) return;
      const prepared = sqlitePrepared(ctx, tx, SQL.succeeded);
      if (prepared) {
        for (const id of ids) prepared.run(now, lastStatuses.get(id) ?? 200, now, now, id, lockedBy);
        return;
      }
      const statuses = new Set(ids.map((id) => lastStatuses.get(id) ?? 200));
      // one statement per distinct status (almost always one)
      for (const status of statuses) {
        const group = ids.filter((id) => (lastStatuses.get(id) ?? 200) === status);
        await tx.db
          .updateTable('webhook_deliveries')
          .set({ state: 'succeeded', next_attempt_at: now, locked_by: null, locked_until: null, last_status: status, last_error: null, delivered_at: now, updated_at: now })
          .where('id', 'in', group)
          .where('locked_by', '=', lockedBy)
          .execute();
      }
    },

    async markFailed(tx, record, lockedBy, now) {
      const prepared = sqlitePrepared(ctx, tx, record.state === 'dead' ? SQL.dead : SQL.retry);
      if (prepared) {
        if (record.state === 'dead') prepared.run(now, record.lastStatus, record.lastError, now, record.id, lockedBy);
        else prepared.run(record.state, record.nextAttemptAt, record.lastStatus, record.lastError, now, record.id, lockedBy);
        return;
      }
      await tx.db
        .updateTable('webhook_deliveries')
        .set({
          state: record.state,
          next_attempt_at: record.state === 'dead' ? now : record.nextAttemptAt,
          locked_by: null,
          locked_until: null,
          last_status: record.lastStatus,
          last_error: record.lastError,
          updated_at: now,
        })
        .where('id', '=', record.id)
        .where('locked_by', '=', lockedBy)
        .execute();
    },

    async makeDue(tx, subscriptionId, now, which) {
      const states: DeliveryState[] = which === 'failed' ? ['failed'] : ['pending', 'failed'];
      const result = await tx.db
        .updateTable('webhook_deliveries')
        .set({ next_attempt_at: now })
        .where('subscription_id', '=', subscriptionId)
        .where('state', 'in', states)
        .where('next_attempt_at', '>', now)
        .executeTakeFirst();
      return affected(result);
    },

    async lockHolders(tx) {
      const rows = await reader(ctx, tx).selectFrom('webhook_deliveries').select('locked_by').distinct().where('state', '=', 'delivering').execute();
      return rows.map((r) => r.locked_by).filter((h): h is string => h !== null);
    },

    async releaseLeases(tx, opts, now) {
      if (opts.holders !== undefined && opts.holders.length === 0) return 0;
      let q = tx.db.updateTable('webhook_deliveries').set({ state: 'pending', locked_by: null, locked_until: null, next_attempt_at: now, updated_at: now }).where('state', '=', 'delivering');
      if (opts.holders !== undefined) q = q.where('locked_by', 'in', [...opts.holders]);
      if (opts.expiredBefore !== undefined) q = q.where('locked_until', '<', opts.expiredBefore);
      if (opts.except !== undefined) q = q.where('locked_by', '!=', opts.except);
      return affected(await q.executeTakeFirst());
    },

    async expire(tx, now) {
      const result = await tx.db
        .updateTable('webhook_deliveries')
        .set({ state: 'dead', next_attempt_at: now, last_error: 'expired', updated_at: now })
        .where('state', 'in', ['pending', 'failed'])
        .where('expires_at', '<=', now)
        .executeTakeFirst();
      return affected(result);
    },

    async prune(tx, succeededBefore, deadBefore) {
      // a final row's next_attempt_at is when it became final: the (state, next_attempt_at) index serves
      const a = await tx.db.deleteFrom('webhook_deliveries').where('state', '=', 'succeeded').where('next_attempt_at', '<', succeededBefore).executeTakeFirst();
      const b = await tx.db.deleteFrom('webhook_deliveries').where('state', '=', 'dead').where('next_attempt_at', '<', deadBefore).executeTakeFirst();
      return affected(a) + affected(b);
    },

  };
}
