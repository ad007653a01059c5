/**
 * Connecting to either dialect with the settings the rest of the layer relies on.
 *
 * SQLite (better-sqlite3): one connection per process, WAL, `busy_timeout` 5 s,
 * `synchronous=NORMAL` (a committed row survives a process crash, kill -9 included) or
 * `FULL` (survives power loss too), foreign keys on; transactions `BEGIN IMMEDIATE`
 * (sqlite-driver.ts); a file database's WAL is written out in the background after
 * commits (wal-flusher.ts).
 *
 * PostgreSQL (node-pg pool): `timestamptz`/`timestamp` stay text (a `Date` would drop
 * the microseconds; time.ts normalises the text), `bigint` stays text (the repositories
 * convert), every connection runs in UTC and, with a schema, on `search_path` = that
 * schema. The type parsers are per pool, never pg's global ones.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from '../bus/index.js';
import { DatabaseConfigError } from './errors.js';
import type { Database } from './schema.js';
import { DecnetSqliteDialect, SQLITE_BUSY_TIMEOUT_MS } from './sqlite-driver.js';
import { WalFlusher } from './wal-flusher.js';

export type SqliteSynchronous = 'NORMAL' | 'FULL';

export interface SqliteConnectOptions {
  readonly path: string;
  readonly synchronous: SqliteSynchronous;
  /** How long a write waits for the write lock, and a query for the connection (ms). */
  readonly waitMs: number;
  readonly log: Logger;
}

/** Opens the SQLite file (creating its folder, mode 0700) and applies the pragmas. */
export async function connectSqlite(opts: SqliteConnectOptions): Promise<Kysely<Database>> {
  if (opts.path !== ':memory:') await mkdir(dirname(opts.path), { recursive: true, mode: 0o700 });
  const database = new BetterSqlite3(opts.path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  let mode: string;
  try {
    database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    mode = String(database.pragma('journal_mode = WAL', { simple: true }));
    if (mode !== 'wal' && opts.path !== ':memory:') opts.log.warn({ path: opts.path, journal_mode: mode }, 'SQLite did not switch to WAL');
    database.pragma(`synchronous = ${opts.synchronous}`);
    database.pragma('foreign_keys = ON');
    // a checkpoint copies each page once however often the WAL rewrote it (a busy index's
    // last leaf, every batch), then fsyncs the database file: every ~1000 pages (the
    // default) it dominated a busy writer's commits. 40,000 pages (about 160 MiB of WAL,
    // reused, not regrown) copies far fewer, in stalls a quarter as often and about twice
    // as long as at 10,000; the WAL flusher keeps the WAL's own fsync short.
    database.pragma('wal_autocheckpoint = 40000');
  } catch (err) {
    database.close();
    throw err;
  }
  const walFlusher = mode === 'wal' ? new WalFlusher({ path: `${opts.path}-wal`, log: opts.log }) : undefined;
  const kysely = new Kysely<Database>({ dialect: new DecnetSqliteDialect({ database }, opts.waitMs, walFlusher) });
  sqliteHandles.set(kysely, database);
  return kysely;
}

const sqliteHandles = new WeakMap<Kysely<Database>, BetterSqlite3.Database>();

/**
 * The better-sqlite3 handle under a SQLite kysely (undefined on PostgreSQL), for a
 * repository's prepared statements on a hot insert path (CORRECTIONS #7.14). Its
 * statements run on the process's one connection, so they belong to whichever write
 * transaction holds it: call them only inside `db.write`, from the repository that
 * was handed the WriteTx.
 */
export function sqliteHandle(kysely: Kysely<Database>): BetterSqlite3.Database | undefined {
  return sqliteHandles.get(kysely);
}

export interface PostgresConnectOptions {
  readonly url: string;
  /** Schema to use (created by the caller); unset means the URL's default search_path. */
  readonly schema?: string;
  readonly log: Logger;
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a PostgreSQL schema name (lower-case identifier, ≤ 63 bytes). */
export function validateSchemaName(schema: string): void {
  if (!SCHEMA_RE.test(schema)) throw new DatabaseConfigError('schema', `${JSON.stringify(schema)} is not a valid schema name (lower-case letters, digits and _, at most 63, not starting with a digit)`);
}

const TEXT_TYPES = new Set<number>([pg.types.builtins.TIMESTAMPTZ, pg.types.builtins.TIMESTAMP, pg.types.builtins.INT8]);

const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((id: number, format?: 'text' | 'binary') => (TEXT_TYPES.has(id) ? (value: string) => value : pg.types.getTypeParser(id, format))) as pg.CustomTypesConfig['getTypeParser'],
};

/** A pool and a kysely handle on it; no connection is made until the first query. */
export function connectPostgres(opts: PostgresConnectOptions): Kysely<Database> {
  if (opts.schema !== undefined) validateSchemaName(opts.schema);
  const pool = new pg.Pool({ connectionString: opts.url, types: typeParsers, max: 10, connectionTimeoutMillis: 10_000 });
  // an idle client's error (server restart) would otherwise be an unhandled 'error' event
  pool.on('error', (err) => opts.log.warn({ err: err.message }, 'PostgreSQL idle connection failed; the pool replaces it'));
  const setup = [`set time zone 'UTC'`, ...(opts.schema === undefined ? [] : [`set search_path to "${opts.schema}"`])];
  return new Kysely<Database>({
    dialect: new PostgresDialect({
      pool,
      onCreateConnection: async (connection) => {
        for (const statement of setup) await connection.executeQuery(CompiledQuery.raw(statement));
      },
    }),
  });
}
