/**
 * The event journal (eventplane.md §1.5): the `events` table, read by cursor.
 *
 * Writers append inside their own transaction and take the `events` advisory lock
 * first (pass `locks: ['events']` to `db.write`, or let `append` take it lazily: `events`
 * ranks last, so that is always in canonical order). On PostgreSQL that makes seq order
 * commit order, so a reader that has seen seq N never later finds a smaller one.
 *
 * Gaps: retention deletes old rows; a cursor behind the oldest retained row missed
 * `missedAfter(cursor)` events (at most that many on PostgreSQL, whose sequences skip
 * numbers on rollback). `head()` is the highest seq ever appended, even once pruned.
 */
import { sql, type Selectable } from 'kysely';
import { isEventId, isoFromEpochMs, PayloadError, serializePayload, validateTopic } from '../../bus/index.js';
import { fromDbInt } from '../dialect.js';
import type { EventsTable } from '../schema.js';
import { isoFromDb, nowIso } from '../time.js';
import type { WriteTx } from '../unit-of-work.js';
import { affected, inWrite, reader, type RepoContext } from './context.js';
import { sqlitePreparedIn } from './prepared.js';
import { topicFilter } from './topic-filter.js';

const INSERT_EVENT = 'insert into events (id, topic, type, ts, payload, created_at) values (?, ?, ?, ?, ?, ?)';

export interface JournalEntry {
  readonly topic: string;
  readonly type: string;
  /** The envelope id, 32 hex. */
  readonly id: string;
  /** Epoch seconds (float). */
  readonly ts: number;
  readonly payload: Record<string, unknown>;
}

export interface JournalRow extends JournalEntry {
  readonly seq: number;
  readonly createdAt: string;
}

export interface JournalReadOptions {
  /** Bus patterns; absent or empty means every topic. */
  readonly patterns?: readonly string[];
  /** Most rows returned (≥ 1). */
  readonly limit: number;
}

export interface JournalPage {
  readonly rows: JournalRow[];
  /** The last seq examined (≥ the cursor given): a cursor may advance here even past rows that did not match. */
  readonly position: number;
}

export interface JournalRepo {
  /** Appends in the caller's transaction (taking the `events` lock); returns the new seq. */
  append(tx: WriteTx, entry: JournalEntry): Promise<{ seq: number }>;
  /** Matching rows with seq > `seq`, in seq order, up to `limit`; scans on past non-matching rows. */
  readAfter(seq: number, opts: JournalReadOptions, tx?: WriteTx): Promise<JournalRow[]>;
  /** Like readAfter, but examines at most `scanLimit` rows (default 5000) and says how far it got. */
  readPage(seq: number, opts: JournalReadOptions & { readonly scanLimit?: number }, tx?: WriteTx): Promise<JournalPage>;
  /** The highest seq ever appended (kept across pruning), 0 when none. */
  head(tx?: WriteTx): Promise<number>;
  /** The smallest retained seq, undefined when the journal is empty. */
  oldestSeq(tx?: WriteTx): Promise<number | undefined>;
  /** Matching rows with seq > `seq`. */
  countAfter(seq: number, patterns?: readonly string[], tx?: WriteTx): Promise<number>;
  /** How many events after `cursor` were pruned before being read (at most, on PostgreSQL). */
  missedAfter(cursor: number, tx?: WriteTx): Promise<number>;
  /** Deletes rows stored more than `hours` ago; returns how many. */
  pruneOlderThan(hours: number, tx?: WriteTx): Promise<number>;
}

function toRow(row: Selectable<EventsTable>): JournalRow {
  const payload = typeof row.payload === 'string' ? (JSON.parse(row.payload) as Record<string, unknown>) : (row.payload as Record<string, unknown>);
  return { seq: fromDbInt(row.seq), id: row.id.trim(), topic: row.topic, type: row.type, ts: Number(row.ts), payload, createdAt: isoFromDb(row.created_at) };
}

/**
 * The stored text of a payload: its JSON with every NUL character (`\u0000`) replaced
 * by U+FFFD, because PostgreSQL's jsonb refuses NUL and both dialects must store the
 * same thing. Throws PayloadError for what JSON cannot carry.
 */
export function journalPayloadText(topic: string, payload: unknown): string {
  return storedPayloadText(serializePayload(topic, payload));
}

/** A payload's JSON text as stored: journalPayloadText's NUL replacement, for text already serialised. */
export function storedPayloadText(json: string): string {
  return json.includes('\\u0000') ? json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : json;
}

/**
 * Inserts one journal row in `tx`, after taking the `events` lock. `payloadJson` lets a
 * caller that already made the stored text (journalPayloadText) reuse it.
 */
export async function appendJournalEntry(tx: WriteTx, entry: JournalEntry, payloadJson?: string): Promise<{ seq: number }> {
  validateTopic(entry.topic);
  if (!isEventId(entry.id)) throw new PayloadError(entry.topic, `id must be 32 lowercase hex digits, got ${JSON.stringify(entry.id)}`);
  if (typeof entry.ts !== 'number' || !Number.isFinite(entry.ts) || entry.ts < 0) throw new PayloadError(entry.topic, `ts must be epoch seconds, got ${String(entry.ts)}`);
  return insertJournalRow(tx, entry, payloadJson ?? journalPayloadText(entry.topic, entry.payload));
}

/**
 * appendJournalEntry without its checks, for a caller that minted the id and ts and
 * validated the topic itself (journalAndPublish, once per captured credential).
 */
export async function insertJournalRow(tx: WriteTx, entry: JournalEntry, json: string): Promise<{ seq: number }> {
  await tx.lock('events');
  const createdAt = nowIso(tx.clock);
  // SQLite: a prepared statement (ingest journals one event per captured credential; CORRECTIONS #7.14)
  const prepared = sqlitePreparedIn(tx, INSERT_EVENT);
  if (prepared) return { seq: fromDbInt(Number(prepared.run(entry.id, entry.topic, entry.type, entry.ts, json, createdAt).lastInsertRowid)) };
  const row = await tx.db
    .insertInto('events')
    .values({ id: entry.id, topic: entry.topic, type: entry.type, ts: entry.ts, payload: json, created_at: createdAt })
    .returning('seq')
    .executeTakeFirstOrThrow();
  return { seq: fromDbInt(row.seq) };
}

function checkCursor(seq: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`journal cursor must be a whole number ≥ 0, got ${seq}`);
}

export function createJournalRepo(ctx: RepoContext): JournalRepo {
  const readPage = async (seq: number, opts: JournalReadOptions & { readonly scanLimit?: number }, tx?: WriteTx): Promise<JournalPage> => {
    checkCursor(seq);
    if (!Number.isSafeInteger(opts.limit) || opts.limit < 1) throw new RangeError(`limit must be a whole number ≥ 1, got ${opts.limit}`);
    const scanLimit = opts.scanLimit ?? Number.POSITIVE_INFINITY;
    const filter = topicFilter(opts.patterns);
    const pageSize = Math.min(Math.max(opts.limit, 100), 1000);
    const db = reader(ctx, tx);
    const rows: JournalRow[] = [];
    let position = seq;
    let examined = 0;
    while (rows.length < opts.limit && examined < scanLimit) {
      const batch = await db
        .selectFrom('events')
        .selectAll()
        .where((eb) => {
          const narrow = filter.where(eb);
          return narrow ? eb.and([eb('seq', '>', position), narrow]) : eb('seq', '>', position);
        })
        .orderBy('seq')
        .limit(Math.min(pageSize, scanLimit - examined))
        .execute();
      for (const raw of batch) {
        examined++;
        position = fromDbInt(raw.seq);
        if (filter.test(raw.topic)) {
          rows.push(toRow(raw));
          if (rows.length === opts.limit) break;
        }
      }
      if (batch.length < pageSize) break;
    }
    return { rows, position };
  };

  const head = async (tx?: WriteTx): Promise<number> => {
    const db = reader(ctx, tx);
    if (ctx.dialect === 'sqlite') {
      // AUTOINCREMENT's high-water mark: updated in the inserting transaction, kept by deletes
      const { rows } = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'events'`.execute(db);
      return rows[0] === undefined ? 0 : fromDbInt(rows[0].seq);
    }
    const { top } = await db.selectFrom('events').select((eb) => eb.fn.max('seq').as('top')).executeTakeFirstOrThrow();
    if (top !== null && top !== undefined) return fromDbInt(top);
    // pruned empty: the sequence knows the last seq; holding the events lock means no
    // append is in flight, so that value is committed (or rolled back: a hole)
    return inWrite(
      ctx,
      tx,
      async (t) => {
        const { rows } = await sql<{ last: string | null }>`select pg_sequence_last_value(pg_get_serial_sequence('events', 'seq')::regclass) as last`.execute(t.db);
        return rows[0]?.last == null ? 0 : fromDbInt(rows[0].last);
      },
      ['events'],
    );
  };

  const oldestSeq = async (tx?: WriteTx): Promise<number | undefined> => {
    const { low } = await reader(ctx, tx)
      .selectFrom('events')
      .select((eb) => eb.fn.min('seq').as('low'))
      .executeTakeFirstOrThrow();
    return low === null || low === undefined ? undefined : fromDbInt(low);
  };

  return {
    append: (tx, entry) => appendJournalEntry(tx, entry),

    async readAfter(seq, opts, tx) {
      return (await readPage(seq, opts, tx)).rows;
    },

    readPage,
    head,
    oldestSeq,

    async countAfter(seq, patterns, tx) {
      checkCursor(seq);
      const filter = topicFilter(patterns);
      const rows = await reader(ctx, tx)
        .selectFrom('events')
        .select((eb) => ['topic', eb.fn.countAll<number | string>().as('n')])
        .where((eb) => {
          const narrow = filter.where(eb);
          return narrow ? eb.and([eb('seq', '>', seq), narrow]) : eb('seq', '>', seq);
        })
        .groupBy('topic')
        .execute();
      return rows.reduce((sum, r) => (filter.test(r.topic) ? sum + Number(r.n) : sum), 0);
    },

    async missedAfter(cursor, tx) {
      checkCursor(cursor);
      const oldest = await oldestSeq(tx);
      if (oldest !== undefined) return Math.max(0, oldest - cursor - 1);
      return Math.max(0, (await head(tx)) - cursor);
    },

    pruneOlderThan: (hours, tx) => {
      if (!Number.isFinite(hours) || hours < 0) throw new RangeError(`retention must be hours ≥ 0, got ${hours}`);
      const cutoff = isoFromEpochMs(ctx.clock.now() - hours * 3_600_000);
      return inWrite(ctx, tx, async (t) => affected(await t.db.deleteFrom('events').where('created_at', '<', cutoff).executeTakeFirst()));
    },
  };
}
