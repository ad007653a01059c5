/**
 * The worker's two ordered sources (ttp.md §1.3–§1.4, §6.3): `logs` rows after the `logs`
 * cursor and journal events after the `events` cursor, each read in batches and projected
 * into inputs. The journal cursor moves past other topics' rows too, so an idle worker
 * never rescans them. Each source keeps its own order, so a restart replays it the same way.
 */
import type { Db } from '../../db/index.js';
import type { Input } from '../inputs/index.js';
import { inputsFromJournalRow, inputsFromLogRow } from '../inputs/index.js';
import type { CursorName, SessionLink } from './tag-writer.js';

/** The journaled inputs (§1.4); their live events only wake the worker. */
export const JOURNAL_INPUT_PATTERNS: readonly string[] = Object.freeze(['attacker.session.ended', 'email.received', 'credential.reuse.detected', 'canary.*.triggered']);

export interface SourceBatch {
  readonly source: CursorName;
  readonly inputs: readonly Input[];
  /** The cursor after this batch. */
  readonly position: number;
  /** Rows (or journal events) read, including those that gave no input. */
  readonly rows: number;
  readonly sessionLinks: readonly SessionLink[];
  /** Rows or events that could not be projected (counted, never fatal). */
  readonly invalid: number;
}

export interface ProjectionOptions {
  readonly maxFieldChars: number;
  readonly internalDeckyPrefix: string;
}

/** The next batch of `logs` rows after `after`, or null when there is none. */
export async function nextLogBatch(db: Db, after: number, limit: number, opts: ProjectionOptions): Promise<SourceBatch | null> {
  const rows = await db.repos.logs.readAfter(after, limit);
  if (rows.length === 0) return null;
  const inputs: Input[] = [];
  let invalid = 0;
  for (const row of rows) {
    const r = inputsFromLogRow(row, opts);
    inputs.push(...r.inputs);
    invalid += r.problems.length;
  }
  return { source: 'logs', inputs, position: (rows[rows.length - 1] as { id: number }).id, rows: rows.length, sessionLinks: [], invalid };
}

/** The next batch of journaled inputs after `after` (scanning at most `scanLimit` events), or null when the journal has nothing new. */
export async function nextJournalBatch(db: Db, after: number, limit: number, opts: ProjectionOptions): Promise<SourceBatch | null> {
  const page = await db.repos.journal.readPage(after, { patterns: JOURNAL_INPUT_PATTERNS, limit });
  if (page.position <= after) return null;
  const inputs: Input[] = [];
  const sessionLinks: SessionLink[] = [];
  let invalid = 0;
  for (const row of page.rows) {
    const r = inputsFromJournalRow(row, opts);
    inputs.push(...r.inputs);
    invalid += r.problems.length;
    const sessionId = row.topic === 'attacker.session.ended' ? row.payload.session_id : undefined;
    if (typeof sessionId === 'string' && sessionId !== '') sessionLinks.push({ sessionId, inputIds: r.inputs.filter((i) => i.kind === 'command').map((i) => i.id) });
  }
  return { source: 'events', inputs, position: page.position, rows: page.rows.length, sessionLinks, invalid };
}
