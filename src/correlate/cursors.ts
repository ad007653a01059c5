/**
 * Correlate's rows in `worker_cursors` (analysis.md §0.2): the cursors
 * (`correlate`, `logs`) and (`correlate`, `credentials`), and a rebuild's replay window
 * (`correlate`, `rebuild:<table>`): the position the cursor had when the rebuild began
 * (rebuild.ts), 0 when none is open. While a cursor is below its window's end, that
 * input's batches replay rows folded and announced before, publishing nothing. Every
 * pass of every correlate process honours the window, inside its batch transaction, so
 * a rebuild survives a crash and a worker running beside it.
 */
import type { Db, WriteTx } from '../db/index.js';

/** The worker name and the cursor rows' `worker`. */
export const CORRELATE_WORKER = 'correlate';

export type CorrelateInput = 'logs' | 'credentials';

export const replayWindowName = (input: CorrelateInput): string => `rebuild:${input}`;

/** What the next batch of an input reads: ids in `(after, upTo]`, replayed or not. */
export interface BatchSpan {
  readonly after: number;
  readonly upTo: number;
  readonly replay: boolean;
}

/** A cursor row's position, 0 when unset. */
export async function readPosition(db: Db, tx: WriteTx | undefined, name: string): Promise<number> {
  return (await db.repos.cursors.get(CORRELATE_WORKER, name, tx)) ?? 0;
}

/** The span of the next batch: the replay window while it is open, else up to `head`. */
export async function batchSpan(db: Db, tx: WriteTx, input: CorrelateInput, head: number): Promise<BatchSpan> {
  const after = await readPosition(db, tx, input);
  const end = await readPosition(db, tx, replayWindowName(input));
  return after < end ? { after, upTo: end, replay: true } : { after, upTo: head, replay: false };
}

/**
 * Moves the cursor past a folded batch (`last`: its last id; `full`: it read a whole
 * batch). A replay that read its window's last rows closes it. Returns whether it did.
 */
export async function advance(db: Db, tx: WriteTx, input: CorrelateInput, span: BatchSpan, last: number | undefined, full: boolean): Promise<boolean> {
  const closes = span.replay && (!full || (last ?? span.upTo) >= span.upTo);
  if (!closes && last === undefined) return false;
  await db.repos.cursors.set(tx, CORRELATE_WORKER, input, closes ? span.upTo : (last as number));
  if (closes) await db.repos.cursors.set(tx, CORRELATE_WORKER, replayWindowName(input), 0);
  return closes;
}
