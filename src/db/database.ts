/**
 * `openDatabase`: connects to the database `DECNET_DATABASE_URL` names, migrates it to
 * the latest version, and hands back a `Db`: reads through `db.kysely`, writes through
 * `db.write` (unit-of-work.ts), and the repositories.
 */
import { sql, type Kysely } from 'kysely';
import { readBool, silentLogger, systemClock, type Clock, type Logger } from '../bus/index.js';
import { connectPostgres, connectSqlite, validateSchemaName, type SqliteSynchronous } from './connection.js';
import { parseDatabaseUrl, redactUrl, type DialectName } from './dialect.js';
import { DatabaseConfigError } from './errors.js';
import { migrateToLatest } from './migrate.js';
import { createRepositories, type Repositories } from './repositories/index.js';
import type { Database } from './schema.js';
import { SQLITE_BUSY_TIMEOUT_MS } from './sqlite-driver.js';
import { UnitOfWork, type WriteOptions, type WriteTx } from './unit-of-work.js';

export interface OpenDatabaseOptions {
  /** `DECNET_DATABASE_URL`: unset → SQLite at `$DECNET_HOME/decnet.db`; `sqlite:PATH`; `postgres://…`. */
  url?: string;
  /** `DECNET_HOME`. */
  home: string;
  clock?: Clock;
  log?: Logger;
  /** PostgreSQL only (ignored on SQLite): a schema to create and use (tests). */
  schema?: string;
  /** `DECNET_SQLITE_SYNCHRONOUS`: NORMAL (default) or FULL. */
  sqliteSynchronous?: SqliteSynchronous;
  /** Throw on payloads that fail their schema in journalAndPublish (default: `DECNET_BUS_STRICT`). */
  strictPayloads?: boolean;
  /** SQLite: how long a write waits for the write lock, and a query for the connection (ms, default 5000). */
  sqliteWaitMs?: number;
}

export interface Db {
  readonly dialect: DialectName;
  /** For reads (not inside a write: use `tx.db` there). */
  readonly kysely: Kysely<Database>;
  /**
   * One transaction: takes the advisory locks in canonical order, runs `fn`, commits,
   * then runs the afterCommit callbacks (errors logged, never thrown). Rolls back and
   * rethrows on error. `fn` must not await network I/O.
   */
  write<T>(fn: (tx: WriteTx) => Promise<T>, opts?: WriteOptions): Promise<T>;
  /** Round trip of a trivial query (ms, real time). */
  ping(): Promise<number>;
  /** Idempotent. */
  close(): Promise<void>;
  readonly repos: Repositories;
  readonly clock: Clock;
}

class OpenedDatabase implements Db {
  readonly repos: Repositories;
  private closing: Promise<void> | undefined;

  constructor(
    readonly dialect: DialectName,
    readonly kysely: Kysely<Database>,
    private readonly unit: UnitOfWork,
    readonly clock: Clock,
  ) {
    this.repos = createRepositories(this);
  }

  write<T>(fn: (tx: WriteTx) => Promise<T>, opts?: WriteOptions): Promise<T> {
    return this.unit.write(fn, opts);
  }

  async ping(): Promise<number> {
    const started = performance.now();
    await sql`select 1`.execute(this.kysely);
    return performance.now() - started;
  }

  close(): Promise<void> {
    this.closing ??= this.kysely.destroy();
    return this.closing;
  }
}

/** Connects, migrates and returns the database; throws DatabaseConfigError for a bad URL. */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Db> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? silentLogger;
  const strictPayloads = opts.strictPayloads ?? readBool(process.env, 'DECNET_BUS_STRICT', false);
  const synchronous = opts.sqliteSynchronous ?? 'NORMAL';
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') throw new DatabaseConfigError('DECNET_SQLITE_SYNCHRONOUS', `expected NORMAL or FULL, got ${JSON.stringify(synchronous)}`);
  const target = parseDatabaseUrl(opts.url, opts.home);

  if (target.dialect === 'sqlite') {
    const kysely = await connectSqlite({ path: target.path, synchronous, log, waitMs: opts.sqliteWaitMs ?? SQLITE_BUSY_TIMEOUT_MS });
    try {
      await migrateToLatest(kysely, { dialect: 'sqlite', log });
    } catch (err) {
      await kysely.destroy();
      throw err;
    }
    const unit = new UnitOfWork({ kysely, dialect: 'sqlite', lockSchema: 'main', clock, log, strictPayloads });
    return new OpenedDatabase('sqlite', kysely, unit, clock);
  }

  if (opts.schema !== undefined) validateSchemaName(opts.schema);
  const kysely = connectPostgres({ url: target.url, log, ...(opts.schema === undefined ? {} : { schema: opts.schema }) });
  try {
    if (opts.schema !== undefined) await createSchema(kysely, opts.schema);
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(kysely);
    const lockSchema = rows[0]?.schema ?? 'public';
    await migrateToLatest(kysely, { dialect: 'postgres', log, ...(opts.schema === undefined ? {} : { schema: opts.schema }) });
    const unit = new UnitOfWork({ kysely, dialect: 'postgres', lockSchema, clock, log, strictPayloads });
    return new OpenedDatabase('postgres', kysely, unit, clock);
  } catch (err) {
    await kysely.destroy().catch(() => undefined);
    if (isUnreachable(err)) throw new Error(`PostgreSQL at ${redactUrl(target.url)} cannot be reached: ${describe(err)}`, { cause: err });
    throw err;
  }
}

/** CREATE SCHEMA IF NOT EXISTS, tolerating a concurrent creator (which can still raise a unique violation). */
async function createSchema(kysely: Kysely<Database>, schema: string): Promise<void> {
  try {
    await sql.raw(`create schema if not exists "${schema}"`).execute(kysely);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P06') throw err;
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

function isUnreachable(err: unknown): boolean {
  if (err instanceof AggregateError) return err.errors.some(isUnreachable);
  const code = (err as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && NETWORK_CODES.has(code)) || (err instanceof Error && /timeout/i.test(err.message));
}

function describe(err: unknown): string {
  if (err instanceof AggregateError) return err.errors.map(describe).join('; ');
  return err instanceof Error ? err.message : String(err);
}
