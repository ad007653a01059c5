/**
 * `credentials` (eventplane.md §8.6, analysis.md §3, CORRECTIONS #7.3): only ingest
 * writes them, in its batch transaction, as an upsert on (attacker_ip, decky, service,
 * secret_kind, secret_sha256, principal) that counts occurrences and widens first/last
 * seen. `seq` grows in commit order (the `credentials` advisory lock), so correlate reads
 * new keys by cursor; a repeat only bumps `count`. The secret itself is stored only with
 * DECNET_STORE_PLAINTEXT_CREDENTIALS (the caller passes null otherwise). Correlate
 * back-fills `attacker_id`.
 */
import { sql, type Selectable } from 'kysely';
import { fromDbInt } from '../dialect.js';
import type { CredentialsTable } from '../ingest-schema.js';
import { isoFromDb, nowIso } from '../time.js';
import type { WriteTx } from '../unit-of-work.js';
import { affected, reader, type RepoContext } from './context.js';
import { sqlitePrepared, uuidv7 } from './prepared.js';

export interface CredentialUpsert {
  readonly attackerIp: string;
  readonly decky: string;
  readonly service: string;
  /** `""` for none. */
  readonly principal: string;
  readonly secretKind: string;
  readonly secretSha256: string;
  readonly secretPrintable: string | null;
  readonly secretB64: string | null;
  /** The line's timestamp. */
  readonly seenAt: string;
  readonly logId: number;
}

export interface Credential {
  readonly seq: number;
  readonly id: string;
  readonly attackerIp: string;
  readonly attackerId: string | null;
  readonly decky: string;
  readonly service: string;
  readonly principal: string;
  readonly secretKind: string;
  readonly secretSha256: string;
  readonly secretPrintable: string | null;
  readonly secretB64: string | null;
  readonly count: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly logId: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface CredentialsRepo {
  /** Upserts in `tx` after taking the `credentials` lock; returns the row's id and seq. */
  upsert(tx: WriteTx, c: CredentialUpsert): Promise<{ id: string; seq: number }>;
  /** `upsert` for each of `rows` in order, for a batch that needs no ids back. */
  upsertMany(tx: WriteTx, rows: readonly CredentialUpsert[]): Promise<void>;
  /** Rows with `seq > after`, in seq order, at most `limit`. */
  readAfter(after: number, limit: number, tx?: WriteTx): Promise<Credential[]>;
  /** The highest seq, 0 when empty. */
  head(tx?: WriteTx): Promise<number>;
  /** Sets `attacker_id` on the address's rows that have none; returns how many. */
  setAttackerId(tx: WriteTx, attackerIp: string, attackerId: string): Promise<number>;
  listByAttacker(attackerIp: string, tx?: WriteTx): Promise<Credential[]>;
}

const UPSERT_ROW = `insert into credentials (id, attacker_ip, decky, service, principal, secret_kind, secret_sha256, secret_printable, secret_b64, count, first_seen, last_seen, log_id, created_at, updated_at)
values (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)
on conflict (attacker_ip, decky, service, secret_kind, secret_sha256, principal) do update set
  count = credentials.count + 1,
  first_seen = min(credentials.first_seen, excluded.first_seen),
  last_seen = max(credentials.last_seen, excluded.last_seen),
  secret_printable = coalesce(excluded.secret_printable, credentials.secret_printable),
  secret_b64 = coalesce(excluded.secret_b64, credentials.secret_b64),
  updated_at = excluded.updated_at`;
const UPSERT = `${UPSERT_ROW}
returning id, seq`;

export function toCredential(row: Selectable<CredentialsTable>): Credential {
  return {
    seq: fromDbInt(row.seq),
    id: row.id,
    attackerIp: row.attacker_ip,
    attackerId: row.attacker_id,
    decky: row.decky,
    service: row.service,
    principal: row.principal,
    secretKind: row.secret_kind,
    secretSha256: row.secret_sha256,
    secretPrintable: row.secret_printable,
    secretB64: row.secret_b64,
    count: fromDbInt(row.count),
    firstSeen: isoFromDb(row.first_seen),
    lastSeen: isoFromDb(row.last_seen),
    logId: fromDbInt(row.log_id),
    createdAt: isoFromDb(row.created_at),
    updatedAt: isoFromDb(row.updated_at),
  };
}

export function createCredentialsRepo(ctx: RepoContext): CredentialsRepo {
  const upsert: CredentialsRepo['upsert'] = async (tx, c) => {
    await tx.lock('credentials');
    const now = nowIso(tx.clock);
    const id = uuidv7(tx.clock.now());
    const prepared = sqlitePrepared(ctx, tx, UPSERT);
    if (prepared) {
      const row = prepared.get(id, c.attackerIp, c.decky, c.service, c.principal, c.secretKind, c.secretSha256, c.secretPrintable, c.secretB64, c.seenAt, c.seenAt, c.logId, now, now) as { id: string; seq: number };
      return { id: row.id, seq: fromDbInt(row.seq) };
    }
    const row = await tx.db
      .insertInto('credentials')
      .values({
        id,
        attacker_ip: c.attackerIp,
        decky: c.decky,
        service: c.service,
        principal: c.principal,
        secret_kind: c.secretKind,
        secret_sha256: c.secretSha256,
        secret_printable: c.secretPrintable,
        secret_b64: c.secretB64,
        count: 1,
        first_seen: c.seenAt,
        last_seen: c.seenAt,
        log_id: c.logId,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['attacker_ip', 'decky', 'service', 'secret_kind', 'secret_sha256', 'principal']).doUpdateSet({
          count: sql<number>`credentials.count + 1`,
          first_seen: sql<string>`least(credentials.first_seen, excluded.first_seen)`,
          last_seen: sql<string>`greatest(credentials.last_seen, excluded.last_seen)`,
          secret_printable: sql<string | null>`coalesce(excluded.secret_printable, credentials.secret_printable)`,
          secret_b64: sql<string | null>`coalesce(excluded.secret_b64, credentials.secret_b64)`,
          updated_at: now,
        }),
      )
      .returning(['id', 'seq'])
      .executeTakeFirstOrThrow();
    return { id: row.id, seq: fromDbInt(row.seq) };
  };

  return {
    upsert,

    async upsertMany(tx, rows) {
      await tx.lock('credentials');
      if (rows.length === 0) return;
      // SQLite: without RETURNING the statement is a plain step (a quarter cheaper per row)
      const prepared = sqlitePrepared(ctx, tx, UPSERT_ROW);
      if (!prepared) {
        for (const c of rows) await upsert(tx, c);
        return;
      }
      const now = nowIso(tx.clock);
      for (const c of rows) prepared.run(uuidv7(tx.clock.now()), c.attackerIp, c.decky, c.service, c.principal, c.secretKind, c.secretSha256, c.secretPrintable, c.secretB64, c.seenAt, c.seenAt, c.logId, now, now);
    },

    async readAfter(after, limit, tx) {
      const rows = await reader(ctx, tx).selectFrom('credentials').selectAll().where('seq', '>', after).orderBy('seq').limit(limit).execute();
      return rows.map(toCredential);
    },

    async head(tx) {
      const { top } = await reader(ctx, tx)
        .selectFrom('credentials')
        .select((eb) => eb.fn.max('seq').as('top'))
        .executeTakeFirstOrThrow();
      return top === null || top === undefined ? 0 : fromDbInt(top);
    },

    async setAttackerId(tx, attackerIp, attackerId) {
      return affected(await tx.db.updateTable('credentials').set({ attacker_id: attackerId }).where('attacker_ip', '=', attackerIp).where('attacker_id', 'is', null).executeTakeFirst());
    },

    async listByAttacker(attackerIp, tx) {
      const rows = await reader(ctx, tx).selectFrom('credentials').selectAll().where('attacker_ip', '=', attackerIp).orderBy('seq').execute();
      return rows.map(toCredential);
    },
  };
}
