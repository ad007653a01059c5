/**
 * A credential reuse finding keeps the lists its `credential.reuse.detected` states
 * (targets, attacker IPs and UUIDs, deckies, services: sorted, at most 100 each, and
 * whether any was cut), so that growing it reads none of its child rows: a password
 * tried by thousands of attackers otherwise re-read them all on every growth. Null on
 * rows from before this migration; correlate fills them from the child rows the first
 * time such a finding grows.
 */
import type { DecnetMigration } from './migration.js';

export const reuseListsMigration: DecnetMigration = {
  name: '20270101_000001_reuse_lists',
  async up(db, dialect) {
    await db.schema
      .alterTable('credential_reuse')
      .addColumn('lists', dialect === 'postgres' ? 'jsonb' : 'text')
      .execute();
  },
};
