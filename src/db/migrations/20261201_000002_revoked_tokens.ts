/** `revoked_tokens` (eventplane.md §1.2): a logged-out token's `jti` until its `exp` (epoch s). */
import type { DecnetMigration } from './migration.js';

export const revokedTokensMigration: DecnetMigration = {
  name: '20261201_000002_revoked_tokens',
  async up(db) {
    await db.schema
      .createTable('revoked_tokens')
      .addColumn('jti', 'text', (c) => c.primaryKey())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('revoked_tokens_expires_at').on('revoked_tokens').column('expires_at').execute();
  },
};
