/** `users` (eventplane.md §1.2). Usernames are unique as stored (case-sensitive). */
import { sql } from 'kysely';
import type { DecnetMigration } from './migration.js';

export const usersMigration: DecnetMigration = {
  name: '20261201_000001_users',
  async up(db, dialect) {
    const pg = dialect === 'postgres';
    await db.schema
      .createTable('users')
      .addColumn('id', pg ? 'uuid' : 'text', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'viewer')`))
      .addColumn('must_change_password', pg ? 'boolean' : 'integer', (c) => (pg ? c.notNull().defaultTo(false) : c.notNull().defaultTo(0).check(sql`must_change_password in (0, 1)`)))
      .addColumn('tokens_valid_from', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', pg ? 'timestamptz' : 'text', (c) => c.notNull())
      .addColumn('updated_at', pg ? 'timestamptz' : 'text', (c) => c.notNull())
      .addColumn('last_login_at', pg ? 'timestamptz' : 'text')
      .execute();
  },
};
