/**
 * What every repository is built from, and the two rules they share: a write joins the
 * caller's transaction when given one (taking its locks lazily, in canonical order) or
 * runs in a unit of its own; a read goes through the caller's transaction when given
 * one (on SQLite it must: the transaction holds the only connection), else `db.kysely`.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../bus/index.js';
import type { DialectName } from '../dialect.js';
import type { LockedTable } from '../locks.js';
import type { Database } from '../schema.js';
import type { WriteOptions, WriteTx } from '../unit-of-work.js';

export interface RepoContext {
  readonly kysely: Kysely<Database>;
  readonly dialect: DialectName;
  readonly clock: Clock;
  write<T>(fn: (tx: WriteTx) => Promise<T>, opts?: WriteOptions): Promise<T>;
}

/** Runs `fn` in the caller's transaction (after taking `locks` there) or in a new one. */
export async function inWrite<T>(ctx: RepoContext, tx: WriteTx | undefined, fn: (tx: WriteTx) => Promise<T>, locks: readonly LockedTable[] = []): Promise<T> {
  if (tx) {
    if (locks.length > 0) await tx.lock(...locks);
    return fn(tx);
  }
  return ctx.write(fn, { locks });
}

/** The handle a read goes through. */
export function reader(ctx: RepoContext, tx?: WriteTx): Kysely<Database> {
  return tx?.db ?? ctx.kysely;
}

/** Rows affected by an update/delete, as a number. */
export function affected(result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }): number {
  return Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0n);
}
