/**
 * Prepared statements behind a repository (CORRECTIONS #7.14): on SQLite the hot insert
 * paths skip kysely's query building and better-sqlite3's per-call prepare (through
 * kysely ingest reached 15–20k rows/s, prepared 35–46k). A statement is prepared once
 * per connection and runs on the process's one connection, inside the caller's write
 * transaction. PostgreSQL keeps the kysely path (multi-row statements).
 */
import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { sqliteHandleOf, type WriteTx } from '../unit-of-work.js';
import type { RepoContext } from './context.js';

const caches = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

/** The prepared statement for `text` on SQLite, undefined on PostgreSQL. Only inside `tx`. */
export function sqlitePrepared(_ctx: RepoContext, tx: WriteTx, text: string): BetterSqlite3.Statement | undefined {
  return sqlitePreparedIn(tx, text);
}

/** sqlitePrepared for code that has the transaction only (the journal's append). */
export function sqlitePreparedIn(tx: WriteTx, text: string): BetterSqlite3.Statement | undefined {
  const handle = sqliteHandleOf(tx);
  if (handle === undefined || !handle.inTransaction) return undefined;
  let cache = caches.get(handle);
  if (!cache) {
    cache = new Map();
    caches.set(handle, cache);
  }
  let statement = cache.get(text);
  if (!statement) {
    statement = handle.prepare(text);
    cache.set(text, statement);
  }
  return statement;
}

/** Splits `rows` into statements of at most `size` rows (PostgreSQL's 65,535-parameter limit). */
export function* chunked<T>(rows: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

/** A JSON column's value as an object (jsonb gives one; SQLite gives text). */
export function jsonColumn<T>(value: unknown, fallback: T): T {
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as T;
    } catch {
      return fallback;
    }
  }
  return value === null || value === undefined ? fallback : (value as T);
}

/**
 * A time-ordered UUID (version 7: 48 bits of epoch ms, then random), for ids of rows
 * inserted on a hot path: their unique index grows at its end instead of at random
 * pages, which keeps a batch's commit small. `ms` comes from the injected clock.
 */
export function uuidv7(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  const r = randomUUID(); // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx: keep its random part and variant
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${r.slice(15)}`;
}
