/**
 * Worker cursors (analysis.md §0.2): the last id a worker processed per input, keyed
 * (worker, name) with the input table's name, e.g. (`webhook`, `events`). A cursor
 * moves only in the transaction that folds its batch, so a crash redoes the batch.
 */
import { fromDbInt } from '../dialect.js';
import { nowIso } from '../time.js';
import type { WriteTx } from '../unit-of-work.js';
import { reader, type RepoContext } from './context.js';

export interface CursorsRepo {
  /** The stored position, undefined when the worker never set one. */
  get(worker: string, name: string, tx?: WriteTx): Promise<number | undefined>;
  /** Upserts the position in the caller's transaction. */
  set(tx: WriteTx, worker: string, name: string, position: number): Promise<void>;
}

export function createCursorsRepo(ctx: RepoContext): CursorsRepo {
  return {
    async get(worker, name, tx) {
      const row = await reader(ctx, tx).selectFrom('worker_cursors').select('position').where('worker', '=', worker).where('name', '=', name).executeTakeFirst();
      return row === undefined ? undefined : fromDbInt(row.position);
    },

    async set(tx, worker, name, position) {
      if (!Number.isSafeInteger(position) || position < 0) throw new RangeError(`cursor position must be a whole number ≥ 0, got ${position}`);
      const updatedAt = nowIso(tx.clock);
      await tx.db
        .insertInto('worker_cursors')
        .values({ worker, name, position, updated_at: updatedAt })
        .onConflict((oc) => oc.columns(['worker', 'name']).doUpdateSet({ position, updated_at: updatedAt }))
        .execute();
    },
  };
}
