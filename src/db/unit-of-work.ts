/**
 * The unit of work (CORRECTIONS #5.12): `db.write(async (tx) => …)` is one transaction.
 * It takes the advisory locks in the canonical order (locks.ts), lets the work register
 * `tx.afterCommit(fn)` callbacks (a kysely transaction has no such hook), commits, and
 * only then runs the callbacks in registration order, logging (never throwing) their
 * errors. On any error it rolls back, drops the callbacks and rethrows.
 *
 * The work must not await network I/O (a publish, an HTTP call): on SQLite the
 * transaction holds the process's only connection and the file's write lock, on
 * PostgreSQL it holds the table locks of every other writer. Publish from afterCommit.
 * Nor may it await `db.kysely` or another `db.write`: use `tx.db`, and pass `tx` to the
 * repositories (on SQLite that would wait for its own connection: ConnectionWaitError).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Clock, Logger } from '../bus/index.js';
import { sqliteHandle } from './connection.js';
import type { DialectName } from './dialect.js';
import { LockOrderError } from './errors.js';
import { advisoryLockKey, canonicalLockOrder, compareLockOrder, type LockedTable } from './locks.js';
import type { Database } from './schema.js';

export interface WriteTx {
  /** The transaction: every read and write of the unit goes through it. */
  readonly db: Transaction<Database>;
  readonly dialect: DialectName;
  readonly clock: Clock;
  readonly log: Logger;
  /** Throw on a payload that fails its catalogue schema (journalAndPublish); from DECNET_BUS_STRICT. */
  readonly strictPayloads: boolean;
  /** Runs `fn` after COMMIT (not on rollback); its errors are logged, never thrown. */
  afterCommit(fn: () => unknown): void;
  /**
   * Takes per-table advisory locks (PostgreSQL; bookkeeping on SQLite) if not yet held.
   * Throws LockOrderError when a table ranks before one already held: pass every lock
   * the unit needs in `write(fn, {locks})`, or take them lazily in canonical order.
   */
  lock(...tables: LockedTable[]): Promise<void>;
}

export interface WriteOptions {
  /** Tables to lock before the work runs, taken in canonical order. */
  readonly locks?: readonly LockedTable[];
}

export interface UnitOfWorkOptions {
  readonly kysely: Kysely<Database>;
  readonly dialect: DialectName;
  /** PostgreSQL: the schema the lock keys include. */
  readonly lockSchema: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly strictPayloads: boolean;
}

class Tx implements WriteTx {
  readonly callbacks: Array<() => unknown> = [];
  private readonly held: string[] = [];
  done = false;

  constructor(
    readonly db: Transaction<Database>,
    private readonly opts: UnitOfWorkOptions,
  ) {}

  get dialect(): DialectName {
    return this.opts.dialect;
  }
  get clock(): Clock {
    return this.opts.clock;
  }
  get log(): Logger {
    return this.opts.log;
  }
  get strictPayloads(): boolean {
    return this.opts.strictPayloads;
  }
  /** The database handle the transaction belongs to. */
  get main(): Kysely<Database> {
    return this.opts.kysely;
  }

  afterCommit(fn: () => unknown): void {
    if (this.done) throw new Error('afterCommit called after the transaction ended');
    this.callbacks.push(fn);
  }

  async lock(...tables: LockedTable[]): Promise<void> {
    if (this.done) throw new Error('lock called after the transaction ended');
    for (const table of canonicalLockOrder(tables)) {
      if (this.held.includes(table)) continue;
      const last = this.held.at(-1);
      if (last !== undefined && compareLockOrder(last, table) > 0) throw new LockOrderError(table, [...this.held]);
      if (this.opts.dialect === 'postgres') {
        await sql`select pg_advisory_xact_lock(${advisoryLockKey(this.opts.lockSchema, table)}::bigint)`.execute(this.db);
      }
      this.held.push(table);
    }
  }
}

/**
 * The better-sqlite3 handle a SQLite write runs on, for a repository's prepared
 * statements on a hot insert path (CORRECTIONS #7.14); undefined on PostgreSQL. Its
 * statements run inside `tx` (the transaction holds the process's one connection).
 */
export function sqliteHandleOf(tx: WriteTx): BetterSqlite3.Database | undefined {
  return tx instanceof Tx && tx.dialect === 'sqlite' && !tx.done ? sqliteHandle(tx.main) : undefined;
}

export class UnitOfWork {
  constructor(private readonly opts: UnitOfWorkOptions) {}

  async write<T>(fn: (tx: WriteTx) => Promise<T>, writeOpts: WriteOptions = {}): Promise<T> {
    let tx: Tx | undefined;
    const result = await this.opts.kysely.transaction().execute(async (trx) => {
      tx = new Tx(trx, this.opts);
      try {
        if (writeOpts.locks && writeOpts.locks.length > 0) await tx.lock(...writeOpts.locks);
        return await fn(tx);
      } finally {
        tx.done = true;
      }
    });
    // committed: the connection is released, so callbacks may read and write again
    for (const callback of tx?.callbacks ?? []) {
      try {
        await callback();
      } catch (err) {
        this.opts.log.error({ err }, 'afterCommit callback failed; the transaction is committed');
      }
    }
    return result;
  }
}
