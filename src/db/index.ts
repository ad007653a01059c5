/**
 * The database layer: one `openDatabase` for SQLite (default) and PostgreSQL, a unit of
 * work with after-commit callbacks and per-table advisory locks, the repositories, and
 * the event journal. Other folders import `src/db` only through this file.
 */
export { openDatabase, type Db, type OpenDatabaseOptions } from './database.js';
export { ConflictError, ConnectionWaitError, DatabaseConfigError, LockOrderError } from './errors.js';
export { DATABASE_URL_VARIABLE, parseDatabaseUrl, redactUrl, type DatabaseTarget, type DialectName } from './dialect.js';
export type { SqliteSynchronous } from './connection.js';
export type { WriteOptions, WriteTx } from './unit-of-work.js';
export { canonicalLockOrder, type LockedTable } from './locks.js';
export type { Database, EventsTable, RevokedTokensTable, UsersTable, WorkerCursorsTable } from './schema.js';
export type { ArtifactsTable, CredentialsTable, FingerprintObservationsTable, IngestSourcesTable, IngestTables, LogsTable, UnparsedLinesTable } from './ingest-schema.js';
export type { RuleStateColumn, TtpRuleCatalogTable, TtpRulesTable, TtpRuleStatesTable, TtpTables, TtpTagsTable } from './ttp-tables.js';
export { isoFromDb, isoFromDbOrNull, nowIso } from './time.js';
export { fromDbBool, fromDbInt, toDbBool } from './dialect.js';
export type { DbBool, DbInt8, DbTime } from './schema.js';
export { MIGRATIONS, type DecnetMigration } from './migrations/index.js';
export * from './repositories/index.js';
export { journalAndPublish, pruneJournal, JournalPruner, type JournaledEvent, type JournalAndPublishOptions, type JournalPrunerOptions } from './journal.js';
