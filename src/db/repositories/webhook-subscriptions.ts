/**
 * Webhook subscriptions (eventplane.md §4.1). The repository stores what it is given:
 * secrets arrive already sealed (src/webhook seals them with the row's AAD), patterns
 * already expanded and validated. A duplicate name is a ConflictError, also when two
 * writers race (insert: ON CONFLICT DO NOTHING; rename: the unique violation is mapped).
 */
import type { Selectable } from 'kysely';
import { fromDbBool, toDbBool } from '../dialect.js';
import { ConflictError } from '../errors.js';
import type { CircuitStateColumn, WebhookSubscriptionsTable } from '../webhook-tables.js';
import { isoFromDb, isoFromDbOrNull, nowIso } from '../time.js';
import type { WriteTx } from '../unit-of-work.js';
import { affected, inWrite, reader, type RepoContext } from './context.js';
import { sqlitePrepared } from './prepared.js';

export interface WebhookSubscription {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly secretEnc: string;
  readonly previousSecretEnc: string | null;
  readonly previousSecretExpiresAt: string | null;
  readonly topicPatterns: readonly string[];
  readonly enabled: boolean;
  readonly circuitState: CircuitStateColumn;
  readonly circuitOpenedAt: string | null;
  readonly consecutiveFailures: number;
  readonly lastSuccessAt: string | null;
  readonly lastFailureAt: string | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface NewWebhookSubscription {
  /** Chosen by the caller: the sealed secret's AAD names it. */
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly secretEnc: string;
  readonly topicPatterns: readonly string[];
  readonly enabled: boolean;
}

/** Fields a PATCH may set (absent = unchanged). */
export interface WebhookSubscriptionPatch {
  readonly name?: string;
  readonly url?: string;
  /** A rotation sets all three. */
  readonly secretEnc?: string;
  readonly previousSecretEnc?: string | null;
  readonly previousSecretExpiresAt?: string | null;
  readonly topicPatterns?: readonly string[];
  readonly enabled?: boolean;
  /** Close the circuit, zero the failures and clear last_error (`enabled: true`). */
  readonly resetCircuit?: boolean;
}

/** The circuit and outcome fields the worker writes after attempts. */
export interface WebhookHealthUpdate {
  readonly circuitState: CircuitStateColumn;
  readonly circuitOpenedAt: string | null;
  readonly consecutiveFailures: number;
  readonly lastSuccessAt?: string;
  readonly lastFailureAt?: string;
  readonly lastError?: string;
}

/** What the dispatcher reads each cycle (no secrets). */
export interface WebhookGate {
  readonly id: string;
  readonly updatedAt: string;
  readonly circuitState: CircuitStateColumn;
  readonly circuitOpenedAt: string | null;
  readonly consecutiveFailures: number;
  readonly enabled: boolean;
}

export interface WebhookSubscriptionsRepo {
  /** Throws ConflictError when the name is taken. */
  create(sub: NewWebhookSubscription, tx?: WriteTx): Promise<WebhookSubscription>;
  findById(id: string, tx?: WriteTx): Promise<WebhookSubscription | undefined>;
  findByName(name: string, tx?: WriteTx): Promise<WebhookSubscription | undefined>;
  /** Ordered by created_at, then id. */
  list(page: { readonly limit: number; readonly offset: number }, tx?: WriteTx): Promise<{ rows: WebhookSubscription[]; total: number }>;
  listEnabled(tx?: WriteTx): Promise<WebhookSubscription[]>;
  /** Circuit fields (no secrets): of the enabled subscriptions, or of `ids` whatever their state. */
  gates(tx?: WriteTx, ids?: readonly string[]): Promise<WebhookGate[]>;
  /** Stamps updated_at; undefined when there is no such row; ConflictError on a taken name. */
  update(id: string, patch: WebhookSubscriptionPatch, tx?: WriteTx): Promise<WebhookSubscription | undefined>;
  delete(id: string, tx?: WriteTx): Promise<boolean>;
  /** The worker's write after attempts (does not stamp updated_at: that would look like an admin change). */
  recordHealth(tx: WriteTx, id: string, update: WebhookHealthUpdate): Promise<void>;
}

/** The dispatcher's per-cycle statements on SQLite (prepared once per connection). */
const SQL = {
  gates: 'select id, updated_at, circuit_state, circuit_opened_at, consecutive_failures, enabled from webhook_subscriptions where enabled = 1 order by created_at',
  gate: 'select id, updated_at, circuit_state, circuit_opened_at, consecutive_failures, enabled from webhook_subscriptions where id = ?',
  health:
    'update webhook_subscriptions set circuit_state = ?, circuit_opened_at = ?, consecutive_failures = ?, last_success_at = coalesce(?, last_success_at), ' +
    'last_failure_at = coalesce(?, last_failure_at), last_error = coalesce(?, last_error) where id = ?',
} as const;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parsePatterns(value: unknown): string[] {
  const list = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
}

function toSubscription(row: Selectable<WebhookSubscriptionsTable>): WebhookSubscription {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    secretEnc: row.secret_enc,
    previousSecretEnc: row.previous_secret_enc,
    previousSecretExpiresAt: isoFromDbOrNull(row.previous_secret_expires_at),
    topicPatterns: parsePatterns(row.topic_patterns),
    enabled: fromDbBool(row.enabled),
    circuitState: row.circuit_state,
    circuitOpenedAt: isoFromDbOrNull(row.circuit_opened_at),
    consecutiveFailures: row.consecutive_failures,
    lastSuccessAt: isoFromDbOrNull(row.last_success_at),
    lastFailureAt: isoFromDbOrNull(row.last_failure_at),
    lastError: row.last_error,
    createdAt: isoFromDb(row.created_at),
    updatedAt: isoFromDb(row.updated_at),
  };
}

/** A unique violation from either driver (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE). */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

const nameTaken = (name: string): ConflictError => new ConflictError('webhook', 'name', `a webhook named ${JSON.stringify(name)} exists`);

export function createWebhookSubscriptionsRepo(ctx: RepoContext): WebhookSubscriptionsRepo {
  const byId = (id: string): boolean => UUID_RE.test(id);

  return {
    create: (sub, tx) =>
      inWrite(ctx, tx, async (t) => {
        const now = nowIso(ctx.clock);
        const row = await t.db
          .insertInto('webhook_subscriptions')
          .values({
            id: sub.id,
            name: sub.name,
            url: sub.url,
            secret_enc: sub.secretEnc,
            previous_secret_enc: null,
            previous_secret_expires_at: null,
            topic_patterns: JSON.stringify(sub.topicPatterns),
            enabled: toDbBool(ctx.dialect, sub.enabled),
            circuit_state: 'closed',
            circuit_opened_at: null,
            consecutive_failures: 0,
            last_success_at: null,
            last_failure_at: null,
            last_error: null,
            created_at: now,
            updated_at: now,
          })
          .onConflict((oc) => oc.column('name').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (!row) throw nameTaken(sub.name);
        return toSubscription(row);
      }),

    async findById(id, tx) {
      if (!byId(id)) return undefined;
      const row = await reader(ctx, tx).selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toSubscription(row) : undefined;
    },

    async findByName(name, tx) {
      const row = await reader(ctx, tx).selectFrom('webhook_subscriptions').selectAll().where('name', '=', name).executeTakeFirst();
      return row ? toSubscription(row) : undefined;
    },

    async list(page, tx) {
      const db = reader(ctx, tx);
      const rows = await db.selectFrom('webhook_subscriptions').selectAll().orderBy('created_at').orderBy('id').limit(page.limit).offset(page.offset).execute();
      const { n } = await db.selectFrom('webhook_subscriptions').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      return { rows: rows.map(toSubscription), total: Number(n) };
    },

    async listEnabled(tx) {
      const rows = await reader(ctx, tx).selectFrom('webhook_subscriptions').selectAll().where('enabled', '=', toDbBool(ctx.dialect, true)).orderBy('created_at').execute();
      return rows.map(toSubscription);
    },

    async gates(tx, ids) {
      const wanted = ids?.filter(byId);
      if (wanted !== undefined && wanted.length === 0) return [];
      const prepared = tx ? sqlitePrepared(ctx, tx, wanted === undefined ? SQL.gates : SQL.gate) : undefined;
      let q = reader(ctx, tx).selectFrom('webhook_subscriptions').select(['id', 'updated_at', 'circuit_state', 'circuit_opened_at', 'consecutive_failures', 'enabled']);
      q = wanted === undefined ? q.where('enabled', '=', toDbBool(ctx.dialect, true)) : q.where('id', 'in', wanted);
      type GateRow = Pick<Selectable<WebhookSubscriptionsTable>, 'id' | 'updated_at' | 'circuit_state' | 'circuit_opened_at' | 'consecutive_failures' | 'enabled'>;
      const rows: GateRow[] = !prepared
        ? await q.orderBy('created_at').execute()
        : wanted === undefined
          ? (prepared.all() as GateRow[])
          : wanted.map((id) => prepared.get(id) as GateRow | undefined).filter((r): r is GateRow => r !== undefined);
      return rows.map((r) => ({
        id: r.id,
        updatedAt: isoFromDb(r.updated_at),
        circuitState: r.circuit_state,
        circuitOpenedAt: isoFromDbOrNull(r.circuit_opened_at),
        consecutiveFailures: r.consecutive_failures,
        enabled: fromDbBool(r.enabled),
      }));
    },

    update: (id, patch, tx) =>
      inWrite(ctx, tx, async (t) => {
        if (!byId(id)) return undefined;
        const set: Partial<Record<keyof WebhookSubscriptionsTable, unknown>> = { updated_at: nowIso(ctx.clock) };
        if (patch.name !== undefined) set.name = patch.name;
        if (patch.url !== undefined) set.url = patch.url;
        if (patch.secretEnc !== undefined) set.secret_enc = patch.secretEnc;
        if (patch.previousSecretEnc !== undefined) set.previous_secret_enc = patch.previousSecretEnc;
        if (patch.previousSecretExpiresAt !== undefined) set.previous_secret_expires_at = patch.previousSecretExpiresAt;
        if (patch.topicPatterns !== undefined) set.topic_patterns = JSON.stringify(patch.topicPatterns);
        if (patch.enabled !== undefined) set.enabled = toDbBool(ctx.dialect, patch.enabled);
        if (patch.resetCircuit) Object.assign(set, { circuit_state: 'closed', circuit_opened_at: null, consecutive_failures: 0, last_error: null });
        try {
          const row = await t.db
            .updateTable('webhook_subscriptions')
            .set(set as never)
            .where('id', '=', id)
            .returningAll()
            .executeTakeFirst();
          return row ? toSubscription(row) : undefined;
        } catch (err) {
          if (patch.name !== undefined && isUniqueViolation(err)) throw nameTaken(patch.name);
          throw err;
        }
      }),

    delete: (id, tx) =>
      inWrite(ctx, tx, async (t) => {
        if (!byId(id)) return false;
        return affected(await t.db.deleteFrom('webhook_subscriptions').where('id', '=', id).executeTakeFirst()) > 0;
      }),

    async recordHealth(tx, id, update) {
      const prepared = sqlitePrepared(ctx, tx, SQL.health);
      if (prepared) {
        prepared.run(update.circuitState, update.circuitOpenedAt, update.consecutiveFailures, update.lastSuccessAt ?? null, update.lastFailureAt ?? null, update.lastError ?? null, id);
        return;
      }
      await tx.db
        .updateTable('webhook_subscriptions')
        .set({
          circuit_state: update.circuitState,
          circuit_opened_at: update.circuitOpenedAt,
          consecutive_failures: update.consecutiveFailures,
          ...(update.lastSuccessAt === undefined ? {} : { last_success_at: update.lastSuccessAt }),
          ...(update.lastFailureAt === undefined ? {} : { last_failure_at: update.lastFailureAt }),
          ...(update.lastError === undefined ? {} : { last_error: update.lastError }),
        })
        .where('id', '=', id)
        .execute();
    },
  };
}
