/**
 * A session's commands (eventplane.md §8.6: one address's `command` rows on a decky in a
 * time window) get a partial index of their own, in place of the full
 * `logs(attacker_ip, decky, event_type, timestamp)`: only command rows pay for its upkeep.
 * Every batch commit writes each B-tree page it touched to the WAL, and the full index
 * was about a tenth of ingest's pages (bench:ingest). The other `logs` indexes stay as
 * analysis.md §0.5 and the `GET /logs` filters need them.
 *
 * The predicate is the literal `event_type = 'command'`: SQLite uses a partial index only
 * for a query whose WHERE holds that same term (sessions.ts writes it as a literal too).
 */
import { sql } from 'kysely';
import type { DecnetMigration } from './migration.js';

export const logsSessionIndexMigration: DecnetMigration = {
  name: '20261230_000001_logs_session_index',
  async up(db) {
    await db.schema
      .createIndex('logs_session_commands')
      .on('logs')
      .columns(['attacker_ip', 'decky', 'timestamp'])
      .where(sql.ref('event_type'), '=', sql.lit('command'))
      .execute();
    await db.schema.dropIndex('logs_attacker_ip_decky_event_type_timestamp').execute();
  },
};
