/**
 * `events`, the event journal (eventplane.md §1.5). On SQLite `seq` is AUTOINCREMENT,
 * so a journal pruned empty does not restart at 1 (every cursor would skip the new
 * rows; CORRECTIONS #5.12). On PostgreSQL it is a bigserial; writers take the `events`
 * advisory lock before inserting, so seq order is commit order.
 */
import type { DecnetMigration } from './migration.js';

export const eventsMigration: DecnetMigration = {
  name: '20261201_000003_events',
  async up(db, dialect) {
    const pg = dialect === 'postgres';
    await db.schema
      .createTable('events')
      .addColumn('seq', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('id', pg ? 'char(32)' : 'text', (c) => c.notNull().unique())
      .addColumn('topic', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('ts', pg ? 'double precision' : 'real', (c) => c.notNull())
      .addColumn('payload', pg ? 'jsonb' : 'text', (c) => c.notNull())
      .addColumn('created_at', pg ? 'timestamptz' : 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('events_created_at').on('events').column('created_at').execute();
  },
};
