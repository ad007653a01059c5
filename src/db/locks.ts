/**
 * Per-table advisory locks (analysis.md §0.2, CORRECTIONS #5.6, "Across issues" 7).
 *
 * Readers follow id cursors (`events.seq`, `logs.id`), so ids must become visible in
 * id order: on PostgreSQL every writer of a cursor-read table takes a transaction-scoped
 * advisory lock on it before inserting, which makes commit order equal id order. (SQLite
 * serialises writers already; there the locks are bookkeeping only.) A transaction that
 * takes several takes them in one order, `logs` first, other tables by name, `events`
 * last, so two writers never deadlock. The key hashes the schema name with the table,
 * so per-test schemas never block each other.
 */
import { createHash } from 'node:crypto';

export type LockedTable = 'logs' | 'events' | (string & {});

function rank(table: string): number {
  return table === 'logs' ? 0 : table === 'events' ? 2 : 1;
}

/** Compares two tables in the canonical lock order. */
export function compareLockOrder(a: string, b: string): number {
  const r = rank(a) - rank(b);
  if (r !== 0) return r;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The tables deduplicated and sorted in the canonical lock order. */
export function canonicalLockOrder(tables: Iterable<string>): string[] {
  return [...new Set(tables)].sort(compareLockOrder);
}

/** The signed 64-bit `pg_advisory_xact_lock` key of `schema.table`, as a decimal string. */
export function advisoryLockKey(schema: string, table: string): string {
  const digest = createHash('sha256').update(`decnet-lock:${schema}.${table}`).digest();
  return BigInt.asIntN(64, digest.readBigUInt64BE(0)).toString();
}
