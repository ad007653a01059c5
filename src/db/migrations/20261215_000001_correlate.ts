/**
 * What `correlate` derives (analysis.md §1.1, §2, §3): `attackers` (one row per source
 * IP), `attacker_targets` (per decky and service, so counts, deckies and hops are exact
 * after any restart), `attacker_sessions`, and the credential-reuse findings with their
 * targets and attackers. No foreign key reaches ingest's tables: ingest and correlate
 * migrate independently (CORRECTIONS #5.9).
 */
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';
import type { DecnetMigration } from './migration.js';

function types(dialect: DialectName) {
  const pg = dialect === 'postgres';
  return {
    uuid: pg ? ('uuid' as const) : ('text' as const),
    time: pg ? ('timestamptz' as const) : ('text' as const),
    json: pg ? ('jsonb' as const) : ('text' as const),
    bool: pg ? ('boolean' as const) : ('integer' as const),
    real: pg ? ('double precision' as const) : ('real' as const),
    /** NOT NULL DEFAULT false, 0/1 on SQLite. */
    falseDefault: (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(pg ? sql`false` : 0),
    zero: (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(0),
  };
}

async function attackers(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = types(dialect);
  await db.schema
    .createTable('attackers')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('ip', 'text', (c) => c.notNull().unique())
    .addColumn('identity_id', t.uuid)
    .addColumn('first_seen', t.time)
    .addColumn('last_seen', t.time)
    .addColumn('event_count', 'bigint', t.zero)
    .addColumn('decky_count', 'integer', t.zero)
    .addColumn('service_count', 'integer', t.zero)
    .addColumn('is_traversal', t.bool, t.falseDefault)
    .addColumn('traversal_path', 'text')
    .addColumn('credential_count', 'integer', t.zero)
    .addColumn('fingerprint_count', 'integer', t.zero)
    .addColumn('session_count', 'integer', t.zero)
    .addColumn('command_count', 'integer', t.zero)
    .addColumn('bounty_count', 'integer', t.zero)
    .addColumn('behavior_class', 'text', (c) => c.notNull().defaultTo('unknown'))
    .addColumn('behavior', t.json)
    .addColumn('behavior_computed_at', t.time)
    .addColumn('rotation_count', 'integer', t.zero)
    .addColumn('last_rotation_at', t.time)
    .addColumn('asn', 'integer')
    .addColumn('as_name', 'text')
    .addColumn('country_code', 'text')
    .addColumn('signal_version', 'bigint', t.zero)
    .addColumn('clustered_version', 'bigint', t.zero)
    .addColumn('scored_summary', t.json)
    .addColumn('scored_published_at', t.time)
    .addColumn('scored_dirty', t.bool, t.falseDefault)
    .addColumn('created_at', t.time, (c) => c.notNull())
    .addColumn('updated_at', t.time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('attackers_last_seen').on('attackers').columns(['last_seen', 'id']).execute();
  await db.schema.createIndex('attackers_first_seen').on('attackers').columns(['first_seen', 'id']).execute();
  await db.schema.createIndex('attackers_event_count').on('attackers').columns(['event_count', 'id']).execute();
  await db.schema.createIndex('attackers_identity').on('attackers').column('identity_id').execute();
  await db.schema.createIndex('attackers_scored_dirty').on('attackers').column('id').where(sql<boolean>`${sql.raw(dialect === 'postgres' ? 'scored_dirty' : 'scored_dirty = 1')}`).execute();
  await db.schema.createIndex('attackers_unclustered').on('attackers').column('id').where(sql<boolean>`signal_version > clustered_version`).execute();
  // ip_prefix filters: LIKE 'p%' on PostgreSQL needs pattern ops under a non-C collation
  if (dialect === 'postgres') await sql`create index attackers_ip_pattern on attackers (ip text_pattern_ops)`.execute(db);

  await db.schema
    .createTable('attacker_targets')
    .addColumn('attacker_id', t.uuid, (c) => c.notNull().references('attackers.id').onDelete('cascade'))
    .addColumn('decky', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('first_seen', t.time, (c) => c.notNull())
    .addColumn('last_seen', t.time, (c) => c.notNull())
    .addColumn('event_count', 'bigint', t.zero)
    .addColumn('interaction_count', 'bigint', t.zero)
    .addColumn('noise_count', 'bigint', t.zero)
    .addPrimaryKeyConstraint('attacker_targets_pk', ['attacker_id', 'decky', 'service'])
    .execute();
  await db.schema.createIndex('attacker_targets_service').on('attacker_targets').column('service').execute();
  await db.schema.createIndex('attacker_targets_decky').on('attacker_targets').column('decky').execute();
}

async function sessions(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = types(dialect);
  await db.schema
    .createTable('attacker_sessions')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('log_id', 'bigint', (c) => c.notNull().unique())
    .addColumn('attacker_id', t.uuid, (c) => c.notNull().references('attackers.id').onDelete('cascade'))
    .addColumn('session_id', 'text')
    .addColumn('decky', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('started_at', t.time, (c) => c.notNull())
    .addColumn('ended_at', t.time, (c) => c.notNull())
    .addColumn('duration_s', t.real, (c) => c.notNull())
    .addColumn('command_count', 'integer', t.zero)
    .addColumn('commands', t.json, (c) => c.notNull())
    .addColumn('commands_truncated', t.bool, t.falseDefault)
    .addColumn('shard_path', 'text')
    .addColumn('evidence_ref', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('attacker_sessions_attacker').on('attacker_sessions').columns(['attacker_id', 'started_at']).execute();
}

async function reuse(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = types(dialect);
  await db.schema
    .createTable('credential_reuse')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('secret_sha256', 'text', (c) => c.notNull())
    .addColumn('secret_kind', 'text', (c) => c.notNull())
    .addColumn('principal', 'text')
    .addColumn('principal_key', 'text', (c) => c.notNull())
    .addColumn('target_count', 'integer', (c) => c.notNull())
    .addColumn('attacker_count', 'integer', (c) => c.notNull())
    .addColumn('confidence', t.real, (c) => c.notNull().defaultTo(1))
    .addColumn('first_seen', t.time, (c) => c.notNull())
    .addColumn('last_seen', t.time, (c) => c.notNull())
    .addColumn('detected_at', t.time, (c) => c.notNull())
    .addColumn('updated_at', t.time, (c) => c.notNull())
    .addUniqueConstraint('credential_reuse_key', ['secret_sha256', 'secret_kind', 'principal_key'])
    .execute();
  await db.schema.createIndex('credential_reuse_rank').on('credential_reuse').columns(['target_count', 'last_seen', 'id']).execute();
  await db.schema
    .createTable('credential_reuse_targets')
    .addColumn('reuse_id', t.uuid, (c) => c.notNull().references('credential_reuse.id').onDelete('cascade'))
    .addColumn('decky', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('first_seen', t.time, (c) => c.notNull())
    .addColumn('last_seen', t.time, (c) => c.notNull())
    .addPrimaryKeyConstraint('credential_reuse_targets_pk', ['reuse_id', 'decky', 'service'])
    .execute();
  await db.schema
    .createTable('credential_reuse_attackers')
    .addColumn('reuse_id', t.uuid, (c) => c.notNull().references('credential_reuse.id').onDelete('cascade'))
    .addColumn('attacker_ip', 'text', (c) => c.notNull())
    .addColumn('attacker_id', t.uuid)
    .addPrimaryKeyConstraint('credential_reuse_attackers_pk', ['reuse_id', 'attacker_ip'])
    .execute();
  await db.schema.createIndex('credential_reuse_attackers_ip').on('credential_reuse_attackers').column('attacker_ip').execute();
}

export const correlateMigration: DecnetMigration = {
  name: '20261215_000001_correlate',
  async up(db, dialect) {
    await attackers(db, dialect);
    await sessions(db, dialect);
    await reuse(db, dialect);
  },
};
