/**
 * Every migration, listed statically (no directory scan, so `dist/` and bundles work).
 * A later issue adds its file here; names sort by timestamp, and kysely runs them with
 * `allowUnorderedMigrations`, so two issues landing out of order both apply.
 */
import { usersMigration } from './20261201_000001_users.js';
import { revokedTokensMigration } from './20261201_000002_revoked_tokens.js';
import { eventsMigration } from './20261201_000003_events.js';
import { workerCursorsMigration } from './20261201_000004_worker_cursors.js';
import { ingestMigration } from './20261210_000001_ingest.js';
import { correlateMigration } from './20261215_000001_correlate.js';
import { webhooksMigration } from './20261220_000001_webhooks.js';
import { ttpMigration } from './20261225_000001_ttp.js';
import { logsSessionIndexMigration } from './20261230_000001_logs_session_index.js';
import { reuseListsMigration } from './20270101_000001_reuse_lists.js';
import type { DecnetMigration } from './migration.js';

export type { DecnetMigration } from './migration.js';

export const MIGRATIONS: readonly DecnetMigration[] = Object.freeze([usersMigration, revokedTokensMigration, eventsMigration, workerCursorsMigration, ingestMigration, correlateMigration, webhooksMigration, ttpMigration, logsSessionIndexMigration, reuseListsMigration]);
