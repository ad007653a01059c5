/**
 * `logs` and `unparsed_lines` (eventplane.md §8.6, CORRECTIONS #7.13): the stored lines,
 * read by cursor (`id` grows in commit order: every writer takes the `logs` advisory lock
 * first, "Across issues" 7). Inserts are the ingest hot path: prepared statements on
 * SQLite, one multi-row statement per chunk on PostgreSQL. Text reaching these tables has
 * passed ingest's `cleanText` (no NUL, no lone surrogate).
 */
import { sql, type Selectable, type SelectQueryBuilder } from 'kysely';
import { fromDbInt } from '../dialect.js';
import type { LogsTable, UnparsedLinesTable } from '../ingest-schema.js';
import type { Database } from '../schema.js';
import { isoFromDb } from '../time.js';
import type { WriteTx } from '../unit-of-work.js';
import { reader, type RepoContext } from './context.js';
import { chunked, jsonColumn, sqlitePrepared } from './prepared.js';

export interface NewLogRow {
  /** UTC, six fractional digits. */
  readonly timestamp: string;
  readonly receivedAt: string;
  readonly decky: string | null;
  readonly service: string | null;
  readonly eventType: string | null;
  readonly attackerIp: string | null;
  readonly severity: number | null;
  readonly facility: number | null;
  readonly procid: string | null;
  readonly fields: Readonly<Record<string, string>>;
  readonly sd: Readonly<Record<string, Readonly<Record<string, string>>>> | null;
  readonly msg: string | null;
  readonly rawLine: string;
  readonly source: string;
  readonly flags: readonly string[];
}

export interface LogRow extends NewLogRow {
  readonly id: number;
}

/**
 * What a cursor reader that folds rows needs of one (correlate): a row without its
 * stored text (`raw_line`, `sd`) and reception details, which a fold batch would
 * otherwise read and parse for every row only to drop.
 */
export type LogFacts = Pick<LogRow, 'id' | 'timestamp' | 'decky' | 'service' | 'eventType' | 'attackerIp' | 'fields' | 'msg' | 'source'>;

export interface NewUnparsedLine {
  readonly source: string;
  readonly receivedAt: string;
  /** At most 8 KiB, secrets masked (the caller's job). */
  readonly raw: string;
  readonly reason: string;
  readonly position: number | null;
}

export interface UnparsedLine extends NewUnparsedLine {
  readonly id: number;
}

export interface LogFilter {
  readonly decky?: string;
  readonly service?: string;
  readonly eventType?: string;
  readonly attackerIp?: string;
  /** ISO times, inclusive. */
  readonly since?: string;
  readonly until?: string;
  readonly source?: string;
}

export interface LogsRepo {
  /** Inserts in `tx` after taking the `logs` lock; returns the new ids in row order. */
  insertMany(tx: WriteTx, rows: readonly NewLogRow[]): Promise<number[]>;
  insertUnparsed(tx: WriteTx, rows: readonly NewUnparsedLine[]): Promise<void>;
  /** Rows with `id > after`, in id order, at most `limit`. */
  readAfter(after: number, limit: number, tx?: WriteTx): Promise<LogRow[]>;
  /** readAfter's rows as LogFacts: the same rows, fewer columns. */
  readFactsAfter(after: number, limit: number, tx?: WriteTx): Promise<LogFacts[]>;
  get(id: number, tx?: WriteTx): Promise<LogRow | undefined>;
  /** The highest id, 0 when empty. */
  head(tx?: WriteTx): Promise<number>;
  /** Newest first (`GET /logs`). */
  list(filter: LogFilter, page: { limit: number; offset: number }, tx?: WriteTx): Promise<{ logs: LogRow[]; total: number }>;
  /** Newest first. */
  listUnparsed(page: { limit: number; source?: string }, tx?: WriteTx): Promise<UnparsedLine[]>;
}

const LOG_COLUMNS = ['timestamp', 'received_at', 'decky', 'service', 'event_type', 'attacker_ip', 'severity', 'facility', 'procid', 'fields', 'sd', 'msg', 'raw_line', 'source', 'flags'] as const;
const INSERT_LOG = `insert into logs (${LOG_COLUMNS.join(', ')}) values (${LOG_COLUMNS.map(() => '?').join(', ')})`;
const READ_AFTER = 'select * from logs where id > ? order by id limit ?';
const FACT_COLUMNS = ['id', 'timestamp', 'decky', 'service', 'event_type', 'attacker_ip', 'fields', 'msg', 'source'] as const;
const READ_FACTS_AFTER = `select ${FACT_COLUMNS.join(', ')} from logs where id > ? order by id limit ?`;
const INSERT_UNPARSED = 'insert into unparsed_lines (source, received_at, raw, reason, position) values (?, ?, ?, ?, ?)';

function values(r: NewLogRow): [string, string, string | null, string | null, string | null, string | null, number | null, number | null, string | null, string, string | null, string | null, string, string, string | null] {
  return [
    r.timestamp,
    r.receivedAt,
    r.decky,
    r.service,
    r.eventType,
    r.attackerIp,
    r.severity,
    r.facility,
    r.procid,
    JSON.stringify(r.fields),
    r.sd === null ? null : JSON.stringify(r.sd),
    r.msg,
    r.rawLine,
    r.source,
    r.flags.length === 0 ? null : r.flags.join(','),
  ];
}

type FactColumns = Pick<Selectable<LogsTable>, (typeof FACT_COLUMNS)[number]>;

function toLogFacts(row: FactColumns): LogFacts {
  return {
    id: fromDbInt(row.id),
    timestamp: isoFromDb(row.timestamp),
    decky: row.decky,
    service: row.service,
    eventType: row.event_type,
    attackerIp: row.attacker_ip,
    fields: jsonColumn<Record<string, string>>(row.fields, {}),
    msg: row.msg,
    source: row.source,
  };
}

export function toLogRow(row: Selectable<LogsTable>): LogRow {
  return {
    ...toLogFacts(row),
    receivedAt: isoFromDb(row.received_at),
    severity: row.severity,
    facility: row.facility,
    procid: row.procid,
    sd: jsonColumn<Record<string, Record<string, string>> | null>(row.sd, null),
    rawLine: row.raw_line,
    flags: row.flags === null || row.flags === '' ? [] : row.flags.split(','),
  };
}

function toUnparsed(row: Selectable<UnparsedLinesTable>): UnparsedLine {
  return { id: fromDbInt(row.id), source: row.source, receivedAt: isoFromDb(row.received_at), raw: row.raw, reason: row.reason, position: row.position };
}

/**
 * A cursor reader's batch (correlate, ttp): rows with `id > after` in id order, prepared
 * on SQLite inside a write (`sqlText` selects what `columns` does), through kysely otherwise.
 */
async function rowsAfter<R>(ctx: RepoContext, tx: WriteTx | undefined, sqlText: string, after: number, limit: number, columns: (q: SelectQueryBuilder<Database, 'logs', object>) => SelectQueryBuilder<Database, 'logs', R>): Promise<R[]> {
  const prepared = tx === undefined ? undefined : sqlitePrepared(ctx, tx, sqlText);
  if (prepared) return prepared.all(after, limit) as R[];
  return columns(reader(ctx, tx).selectFrom('logs')).where('id', '>', after).orderBy('id').limit(limit).execute();
}

export function createLogsRepo(ctx: RepoContext): LogsRepo {
  return {
    async insertMany(tx, rows) {
      await tx.lock('logs');
      if (rows.length === 0) return [];
      const insert = sqlitePrepared(ctx, tx, INSERT_LOG);
      if (insert) return rows.map((r) => Number(insert.run(values(r)).lastInsertRowid)); // an array binds in order, no spread
      const ids: number[] = [];
      for (const part of chunked(rows, 1000)) {
        const inserted = await tx.db
          .insertInto('logs')
          .values(
            part.map((r) => {
              const v = values(r);
              return { timestamp: v[0], received_at: v[1], decky: v[2], service: v[3], event_type: v[4], attacker_ip: v[5], severity: v[6], facility: v[7], procid: v[8], fields: v[9], sd: v[10], msg: v[11], raw_line: v[12], source: v[13], flags: v[14] };
            }),
          )
          .returning('id')
          .execute();
        // bigserial values are drawn in VALUES order, so ascending ids are the rows' order
        ids.push(...inserted.map((r) => fromDbInt(r.id)).sort((a, b) => a - b));
      }
      return ids;
    },

    async insertUnparsed(tx, rows) {
      if (rows.length === 0) return;
      const insert = sqlitePrepared(ctx, tx, INSERT_UNPARSED);
      if (insert) {
        for (const r of rows) insert.run(r.source, r.receivedAt, r.raw, r.reason, r.position);
        return;
      }
      for (const part of chunked(rows, 1000)) {
        await tx.db
          .insertInto('unparsed_lines')
          .values(part.map((r) => ({ source: r.source, received_at: r.receivedAt, raw: r.raw, reason: r.reason, position: r.position })))
          .execute();
      }
    },

    async readAfter(after, limit, tx) {
      return (await rowsAfter<Selectable<LogsTable>>(ctx, tx, READ_AFTER, after, limit, (q) => q.selectAll())).map(toLogRow);
    },

    async readFactsAfter(after, limit, tx) {
      return (await rowsAfter<FactColumns>(ctx, tx, READ_FACTS_AFTER, after, limit, (q) => q.select(FACT_COLUMNS))).map(toLogFacts);
    },

    async get(id, tx) {
      const row = await reader(ctx, tx).selectFrom('logs').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toLogRow(row);
    },

    async head(tx) {
      const { top } = await reader(ctx, tx)
        .selectFrom('logs')
        .select((eb) => eb.fn.max('id').as('top'))
        .executeTakeFirstOrThrow();
      return top === null || top === undefined ? 0 : fromDbInt(top);
    },

    async list(filter, page, tx) {
      let q = reader(ctx, tx).selectFrom('logs');
      if (filter.decky !== undefined) q = q.where('decky', '=', filter.decky);
      if (filter.service !== undefined) q = q.where('service', '=', filter.service);
      if (filter.eventType !== undefined) q = q.where('event_type', '=', filter.eventType);
      if (filter.attackerIp !== undefined) q = q.where('attacker_ip', '=', filter.attackerIp);
      if (filter.source !== undefined) q = q.where('source', '=', filter.source);
      if (filter.since !== undefined) q = q.where('timestamp', '>=', filter.since);
      if (filter.until !== undefined) q = q.where('timestamp', '<=', filter.until);
      const [rows, total] = await Promise.all([
        q.selectAll().orderBy('timestamp', 'desc').orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
        q.select(sql<number | string>`count(*)`.as('n')).executeTakeFirstOrThrow(),
      ]);
      return { logs: rows.map(toLogRow), total: Number(total.n) };
    },

    async listUnparsed(page, tx) {
      let q = reader(ctx, tx).selectFrom('unparsed_lines').selectAll();
      if (page.source !== undefined) q = q.where('source', '=', page.source);
      return (await q.orderBy('id', 'desc').limit(page.limit).execute()).map(toUnparsed);
    },
  };
}
