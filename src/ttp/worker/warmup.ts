/**
 * Warm-up (ttp.md §6.3 step 1): before the loop, pass the already processed rows and
 * journal events within the longest aggregate or sequence window before each cursor
 * (≤ 24 h, ≤ DECNET_TTP_WARMUP_MAX_ROWS rows per source) through `engine.warm`, so counts
 * and sequences that straddle a restart complete. Nothing is written or published; the
 * engine remembers the warmed ids, so nothing warmed is tagged again.
 */
import type { Db } from '../../db/index.js';
import type { Engine } from '../engine/engine.js';
import type { CompiledRule } from '../rule.js';
import { nextJournalBatch, nextLogBatch, type ProjectionOptions, type SourceBatch } from './sources.js';

const MAX_WINDOW_MS = 24 * 3600_000;

/** The longest aggregate window or sequence span of `rules`, capped at 24 h; 0 when none. */
export function longestWindowMs(rules: readonly CompiledRule[]): number {
  let w = 0;
  for (const { def } of rules) w = Math.max(w, def.aggregate?.windowMs ?? 0, def.sequence?.withinMs ?? 0);
  return Math.min(w, MAX_WINDOW_MS);
}

export interface WarmUpOptions extends ProjectionOptions {
  readonly windowMs: number;
  readonly maxRows: number;
  readonly batch: number;
  readonly logsCursor: number;
  readonly eventsCursor: number;
}

type Reader = (db: Db, after: number, limit: number, opts: ProjectionOptions) => Promise<SourceBatch | null>;

/** Reads (start, cursor] of one source and returns its inputs in order. */
async function readRange(db: Db, read: Reader, start: number, cursor: number, opts: WarmUpOptions): Promise<SourceBatch['inputs'][number][]> {
  const out: SourceBatch['inputs'][number][] = [];
  let at = start;
  while (at < cursor) {
    const b = await read(db, at, Math.min(opts.batch, cursor - at), opts);
    if (b === null) break;
    // a page may reach past the cursor (id gaps, other topics): those rows are not processed yet
    for (const i of b.inputs) if (Number(i.source?.ref) <= cursor) out.push(i);
    at = b.position;
  }
  return out;
}

/** Warms `engine`; returns how many inputs it passed. */
export async function warmUp(engine: Engine, db: Db, opts: WarmUpOptions): Promise<number> {
  if (opts.windowMs <= 0 || opts.maxRows <= 0) return 0;
  let warmed = 0;
  for (const [read, cursor] of [[nextLogBatch, opts.logsCursor], [nextJournalBatch, opts.eventsCursor]] as const) {
    if (cursor <= 0) continue;
    const inputs = await readRange(db, read, Math.max(0, cursor - opts.maxRows), cursor, opts);
    const newest = inputs.reduce((m, i) => Math.max(m, i.ts), -Infinity);
    for (const i of inputs) {
      if (i.ts <= newest - opts.windowMs) continue;
      engine.warm(i);
      warmed++;
    }
  }
  return warmed;
}
