/**
 * Every migration, listed statically (no directory scan, so `dist/` and bundles work).
 * A later issue adds its file here; names sort by timestamp, and kysely runs them with
 * `allowUnorderedMigrations`, so two issues landing out of order both apply.
 */
import { usersMigration } from './20261201_000001_users.js';
import { revokedTokensMigration } from './20261201_000002_revoked_tokens.js';
import { eventsMigration } from './20261201_000003_events.js';
import { workerCursorsMigration } from './20261201_000004_worker_cursors.js';
import type { DecnetMigration } from './migration.js';

export type { DecnetMigration } from './migration.js';

export const MIGRATIONS: readonly DecnetMigration[] = Object.freeze([usersMigration, revokedTokensMigration, eventsMigration, workerCursorsMigration]);
