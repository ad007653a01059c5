/**
 * Runs our migrations at start, through kysely's Migrator with a static provider (no
 * directory scan, so it works from dist/) and `allowUnorderedMigrations` (names are
 * timestamps and parallel issues may land out of order; CORRECTIONS #5.9, #5.13).
 *
 * Two processes migrating one SQLite file would collide inside kysely (its SQLite
 * "lock" is a no-op), so on SQLite the whole run happens inside our own
 * `BEGIN IMMEDIATE` transaction: the second process waits (asynchronously, up to
 * a minute), then finds nothing pending. SQLite DDL is transactional, so a failed
 * migration leaves nothing behind. On PostgreSQL kysely's own advisory lock and
 * per-run transaction do the same.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Logger } from '../bus/index.js';
import type { DialectName } from './dialect.js';
import { MIGRATIONS, type DecnetMigration } from './migrations/index.js';
import type { Database } from './schema.js';
import { beginImmediate } from './sqlite-driver.js';

/** How long a migration run waits for another process's (ms). */
export const MIGRATION_LOCK_WAIT_MS = 60_000;

export interface MigrateOptions {
  readonly dialect: DialectName;
  /** PostgreSQL: where kysely keeps its migration tables. */
  readonly schema?: string;
  readonly log: Logger;
  readonly migrations?: readonly DecnetMigration[];
}

/** Applies every pending migration; returns the names applied by this call. */
export async function migrateToLatest(kysely: Kysely<Database>, opts: MigrateOptions): Promise<string[]> {
  const list = opts.migrations ?? MIGRATIONS;
  const provider: MigrationProvider = {
    getMigrations: () => Promise.resolve(Object.fromEntries(list.map((m): [string, Migration] => [m.name, { up: (db) => m.up(db, opts.dialect) }]))),
  };
  const applied =
    opts.dialect === 'sqlite'
      ? await kysely.connection().execute(async (conn) => {
          await beginImmediate((statement) => sql.raw(statement).execute(conn), MIGRATION_LOCK_WAIT_MS);
          try {
            const names = await runMigrator(conn, provider);
            await sql`commit`.execute(conn);
            return names;
          } catch (err) {
            await sql`rollback`.execute(conn).catch(() => undefined);
            throw err;
          }
        })
      : await withSetupRetries(() => runMigrator(kysely, provider, opts.schema));
  if (applied.length > 0) opts.log.info({ migrations: applied }, 'database migrated');
  return applied;
}

class MigrationSetupError extends Error {}

/**
 * kysely's Migrator looks for its tables by introspecting every schema of the database, so
 * a schema dropped by someone else at that moment (parallel test suites, an operator's
 * cleanup) can fail the lookup although ours is untouched. That setup step is read-only
 * and idempotent: retry it a few times. A failing migration is never retried.
 */
async function withSetupRetries<T>(run: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof MigrationSetupError) || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 50 * i));
    }
  }
}

async function runMigrator(db: Kysely<Database>, provider: MigrationProvider, schema?: string): Promise<string[]> {
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true, ...(schema === undefined ? {} : { migrationTableSchema: schema }) });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    const message = `database migration ${failed ?? '(setup)'} failed: ${error instanceof Error ? error.message : String(error)}`;
    throw failed === undefined ? new MigrationSetupError(message, { cause: error }) : new Error(message, { cause: error });
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
