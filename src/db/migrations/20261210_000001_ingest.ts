/**
 * The ingest tables (eventplane.md §8.3, §8.6; analysis.md §0.5, §3, §4.1; CORRECTIONS
 * #7.6, #7.13): `logs`, `unparsed_lines`, `credentials`, `artifacts`,
 * `fingerprint_observations` and the per-source state `ingest_sources`.
 *
 * Cursor-read tables get ids that never repeat (AUTOINCREMENT on SQLite, so a table
 * pruned empty does not restart at 1; bigserial on PostgreSQL, whose writers take the
 * table's advisory lock so id order is commit order).
 */
import type { DecnetMigration } from './migration.js';

export const ingestMigration: DecnetMigration = {
  name: '20261210_000001_ingest',
  async up(db, dialect) {
    const pg = dialect === 'postgres';
    const time = pg ? 'timestamptz' : 'text';
    const json = pg ? 'jsonb' : 'text';
    const int8 = pg ? 'bigint' : 'integer';
    const serial = pg ? 'bigserial' : 'integer';

    await db.schema
      .createTable('logs')
      .addColumn('id', serial, (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('timestamp', time, (c) => c.notNull())
      .addColumn('received_at', time, (c) => c.notNull())
      .addColumn('decky', 'text')
      .addColumn('service', 'text')
      .addColumn('event_type', 'text')
      .addColumn('attacker_ip', 'text')
      .addColumn('severity', 'integer')
      .addColumn('facility', 'integer')
      .addColumn('procid', 'text')
      .addColumn('fields', json, (c) => c.notNull())
      .addColumn('sd', json)
      .addColumn('msg', 'text')
      .addColumn('raw_line', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('flags', 'text')
      .execute();
    // analysis.md §0.5, plus the service and event-type filters of GET /logs, and one address's
    // rows of a type on a decky in a time window (a session's commands): without it the planner
    // picks (decky, event_type, timestamp) and scans every attacker's commands of the window
    await db.schema.createIndex('logs_attacker_ip_id').on('logs').columns(['attacker_ip', 'id']).execute();
    await db.schema.createIndex('logs_attacker_ip_decky_event_type_timestamp').on('logs').columns(['attacker_ip', 'decky', 'event_type', 'timestamp']).execute();
    await db.schema.createIndex('logs_decky_event_type_timestamp').on('logs').columns(['decky', 'event_type', 'timestamp']).execute();
    await db.schema.createIndex('logs_service').on('logs').column('service').execute();
    await db.schema.createIndex('logs_event_type').on('logs').column('event_type').execute();

    await db.schema
      .createTable('unparsed_lines')
      .addColumn('id', serial, (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('received_at', time, (c) => c.notNull())
      .addColumn('raw', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('position', 'integer')
      .execute();
    await db.schema.createIndex('unparsed_lines_source').on('unparsed_lines').columns(['source', 'id']).execute();

    await db.schema
      .createTable('credentials')
      .addColumn('seq', serial, (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('id', pg ? 'uuid' : 'text', (c) => c.notNull().unique())
      .addColumn('attacker_ip', 'text', (c) => c.notNull())
      .addColumn('attacker_id', pg ? 'uuid' : 'text')
      .addColumn('decky', 'text', (c) => c.notNull())
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('principal', 'text', (c) => c.notNull())
      .addColumn('secret_kind', 'text', (c) => c.notNull())
      .addColumn('secret_sha256', 'text', (c) => c.notNull())
      .addColumn('secret_printable', 'text')
      .addColumn('secret_b64', 'text')
      .addColumn('count', int8, (c) => c.notNull())
      .addColumn('first_seen', time, (c) => c.notNull())
      .addColumn('last_seen', time, (c) => c.notNull())
      .addColumn('log_id', int8, (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('updated_at', time, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('credentials_upsert_key')
      .on('credentials')
      .columns(['attacker_ip', 'decky', 'service', 'secret_kind', 'secret_sha256', 'principal'])
      .unique()
      .execute();
    await db.schema.createIndex('credentials_secret').on('credentials').columns(['secret_sha256', 'secret_kind', 'principal']).execute();

    await db.schema
      .createTable('artifacts')
      .addColumn('id', pg ? 'uuid' : 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('attacker_ip', 'text')
      .addColumn('decky', 'text')
      .addColumn('service', 'text')
      .addColumn('sha256', 'text')
      .addColumn('url', 'text')
      .addColumn('stored_as', 'text')
      .addColumn('log_id', int8, (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('artifacts_attacker_ip').on('artifacts').column('attacker_ip').execute();
    await db.schema.createIndex('artifacts_log_id').on('artifacts').column('log_id').execute();

    await db.schema
      .createTable('fingerprint_observations')
      .addColumn('id', serial, (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('log_id', int8, (c) => c.notNull())
      .addColumn('observed_at', time, (c) => c.notNull())
      .addColumn('attacker_ip', 'text')
      .addColumn('decky', 'text')
      .addColumn('service', 'text')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('port', 'integer')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('details', json, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('fingerprint_observations_attacker_ip').on('fingerprint_observations').columns(['attacker_ip', 'id']).execute();

    await db.schema
      .createTable('ingest_sources')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('dev', 'text')
      .addColumn('inode', 'text')
      .addColumn('head_hash', 'text')
      .addColumn('offset', int8, (c) => c.notNull())
      .addColumn('lines', int8, (c) => c.notNull())
      .addColumn('parsed', int8, (c) => c.notNull())
      .addColumn('unparsed', int8, (c) => c.notNull())
      .addColumn('filtered', int8, (c) => c.notNull())
      .addColumn('dropped', int8, (c) => c.notNull())
      .addColumn('truncations', int8, (c) => c.notNull())
      .addColumn('rotations', int8, (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('updated_at', time, (c) => c.notNull())
      .execute();
  },
};
