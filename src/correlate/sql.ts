/**
 * The few places where correlate's SQL differs by dialect, and list helpers that keep
 * statements under both drivers' parameter limits.
 */
import { sql, type Compilable, type Expression, type RawBuilder } from 'kysely';
import { fromDbInt, type Db, type DialectName, type WriteTx } from '../db/index.js';
import { sqlitePreparedIn } from '../db/repositories/prepared.js';

/** The smaller of two non-null values (`least` on PostgreSQL, scalar `min` on SQLite). */
export function least<T>(dialect: DialectName, a: Expression<T>, b: Expression<T>): RawBuilder<T> {
  return dialect === 'postgres' ? sql<T>`least(${a}, ${b})` : sql<T>`min(${a}, ${b})`;
}

/** The larger of two non-null values. */
export function greatest<T>(dialect: DialectName, a: Expression<T>, b: Expression<T>): RawBuilder<T> {
  return dialect === 'postgres' ? sql<T>`greatest(${a}, ${b})` : sql<T>`max(${a}, ${b})`;
}

/** Splits `items` into runs of at most `size` (statements stay under the parameter limits). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The right side of `column IN (…)` for `values`: on SQLite one JSON parameter read by
 * `json_each`, so a batch's statement is one short text however many values it has (a
 * 500-value list costs more to compile than its lookups); on PostgreSQL the list.
 */
export function inValues(dialect: DialectName, values: readonly string[]): readonly string[] | RawBuilder<string> {
  return dialect === 'sqlite' ? sql<string>`(select value from json_each(${JSON.stringify(values)}))` : values;
}

/**
 * The rows of a select in `tx`. kysely prepares every query it runs; on SQLite the
 * statement is prepared once here and kept by its text, which suits queries whose text
 * does not vary with their values (lists through inValues): a batch's grouped counts
 * cost more to prepare than to run.
 */
export async function selectAll<R>(tx: WriteTx, query: Compilable<R> & { execute(): Promise<R[]> }): Promise<R[]> {
  const compiled = query.compile();
  const prepared = sqlitePreparedIn(tx, compiled.sql);
  return prepared ? (prepared.all(...compiled.parameters) as R[]) : query.execute();
}

/** Rows per multi-row statement: 25 columns × 400 rows stays under SQLite's 32,766 variables. */
export const ROWS_PER_STATEMENT = 400;
/** Values per `IN (…)` list. */
export const IN_LIST = 500;

/** JSON text with keys in insertion order: what both dialects store for our JSON columns. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value);
}

/** A JSON column read back as a value (text on SQLite, parsed jsonb on PostgreSQL). */
export function fromDbJson(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return null;
  }
}

/** Rows in one of correlate's tables (heartbeat and summaries). */
export async function countRows(db: Db, table: 'attackers' | 'credential_reuse'): Promise<number> {
  const row = await db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return fromDbInt(row.n);
}
