/**
 * kysely's better-sqlite3 dialect with the changes our write path needs
 * (CORRECTIONS #5.12):
 *
 * - A write transaction is `BEGIN IMMEDIATE`: a deferred `BEGIN` that later upgrades to
 *   a write fails with `SQLITE_BUSY_SNAPSHOT` when another process wrote meanwhile.
 * - Waiting for the write lock does not block the event loop. better-sqlite3 is
 *   synchronous, so a `busy_timeout` wait inside `BEGIN IMMEDIATE` would freeze the
 *   whole process (and, with two connections in one process, wait on itself). We drop
 *   `busy_timeout` to 0 for the `BEGIN`, retry it on SQLITE_BUSY with short real-time
 *   sleeps until the budget (5 s) is spent, then restore it for the statements inside.
 * - Waiting for the process's one connection is bounded too (same budget). A query
 *   through `db.kysely` (or a second `db.write`) awaited inside a write would otherwise
 *   wait forever for the connection its own transaction holds; now it fails with a
 *   ConnectionWaitError that says so. (Tracking the async context instead would need
 *   AsyncLocalStorage, which on Node 20 slows every promise in the process.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';
import { ConnectionWaitError } from './errors.js';
import type { WalFlusher } from './wal-flusher.js';

/** `busy_timeout` (ms) for ordinary statements, and the default wait for locks and the connection (CORRECTIONS #5.8). */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/** Is this a better-sqlite3 SQLITE_BUSY* error? */
export function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Takes the SQLite write lock (`BEGIN IMMEDIATE`), waiting asynchronously up to
 * `waitMs`; rethrows the last SQLITE_BUSY when the wait is over. Real time, not the
 * injected clock: this waits on another process, and a FakeClock would never move.
 */
export async function beginImmediate(exec: (sql: string) => Promise<unknown>, waitMs: number): Promise<void> {
  const deadline = performance.now() + waitMs;
  await exec('pragma busy_timeout = 0');
  try {
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      try {
        await exec('begin immediate');
        return;
      } catch (err) {
        if (!isSqliteBusy(err) || performance.now() >= deadline) throw err;
      }
      await sleep(delay + Math.random() * delay);
    }
  } finally {
    await exec(`pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  }
}

interface Waiter {
  resolve(): void;
  timer: NodeJS.Timeout;
}

/** A FIFO mutex whose waiters give up after `waitMs` (real time). */
class ConnectionGate {
  private held = false;
  private holderIsWrite = false;
  private readonly queue: Waiter[] = [];

  constructor(private readonly waitMs: number) {}

  acquire(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          const i = this.queue.indexOf(waiter);
          if (i !== -1) this.queue.splice(i, 1);
          reject(
            new ConnectionWaitError(
              this.holderIsWrite
                ? `waited ${this.waitMs} ms for the SQLite connection, held by a write transaction all along: if this runs inside db.write, use tx.db and pass the WriteTx on (the transaction holds the process's only connection)`
                : `waited ${this.waitMs} ms for the SQLite connection`,
            ),
          );
        }, this.waitMs),
      };
      waiter.timer.unref();
      this.queue.push(waiter);
    });
  }

  markWrite(): void {
    this.holderIsWrite = true;
  }

  release(): void {
    this.holderIsWrite = false;
    const next = this.queue.shift();
    if (next) {
      clearTimeout(next.timer);
      next.resolve();
    } else {
      this.held = false;
    }
  }
}

class DecnetSqliteDriver extends SqliteDriver {
  private readonly gate: ConnectionGate;

  constructor(
    config: SqliteDialectConfig,
    private readonly waitMs: number,
    private readonly walFlusher: WalFlusher | undefined,
  ) {
    super(config);
    this.gate = new ConnectionGate(waitMs);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    await this.gate.acquire();
    try {
      return await super.acquireConnection(); // free at once: the gate serialises in front of kysely's mutex
    } catch (err) {
      this.gate.release();
      throw err;
    }
  }

  override async releaseConnection(): Promise<void> {
    await super.releaseConnection();
    this.gate.release();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    this.gate.markWrite();
    await beginImmediate((sql) => connection.executeQuery(CompiledQuery.raw(sql)), this.waitMs);
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await super.commitTransaction(connection);
    this.walFlusher?.committed();
  }

  override async destroy(): Promise<void> {
    await this.walFlusher?.close();
    await super.destroy();
  }
}

/**
 * SqliteDialect whose transactions are `BEGIN IMMEDIATE`, with bounded asynchronous waits;
 * with a WalFlusher, each write transaction's commit wakes it (a lone autocommit statement
 * does not: its pages wait for the checkpoint, as before) and destroying the driver closes it.
 */
export class DecnetSqliteDialect extends SqliteDialect {
  constructor(
    private readonly sqliteConfig: SqliteDialectConfig,
    /** How long to wait for the write lock or the connection (ms). */
    private readonly waitMs: number,
    private readonly walFlusher?: WalFlusher,
  ) {
    super(sqliteConfig);
  }

  override createDriver(): Driver {
    return new DecnetSqliteDriver(this.sqliteConfig, this.waitMs, this.walFlusher);
  }
}
