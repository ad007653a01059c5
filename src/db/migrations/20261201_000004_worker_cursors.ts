/**
 * `worker_cursors` (analysis.md §0.2): the last id a worker processed per input table,
 * advanced in the transaction that folds the batch. Rows are named after the table
 * read: (`ttp`, `logs`), (`webhook`, `events`).
 */
import type { DecnetMigration } from './migration.js';

export const workerCursorsMigration: DecnetMigration = {
  name: '20261201_000004_worker_cursors',
  async up(db, dialect) {
    const pg = dialect === 'postgres';
    await db.schema
      .createTable('worker_cursors')
      .addColumn('worker', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('position', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', pg ? 'timestamptz' : 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('worker_cursors_pk', ['worker', 'name'])
      .execute();
  },
};
