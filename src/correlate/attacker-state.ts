/**
 * An `attackers` row as the fold holds it in memory during one batch transaction:
 * loaded for the batch's IPs (correlate holds the `attackers` lock, so nobody else
 * changes the columns it owns meanwhile), updated in JS, and written back once.
 */
import type { Statement } from 'better-sqlite3';
import { sql, type Selectable } from 'kysely';
import { fromDbBool, fromDbInt, isoFromDb, type WriteTx } from '../db/index.js';
import type { AttackersTable } from '../db/correlate-tables.js';
import { sqlitePreparedIn } from '../db/repositories/prepared.js';
import { chunks, fromDbJson, IN_LIST, jsonText, ROWS_PER_STATEMENT } from './sql.js';

export interface AttackerState {
  readonly id: string;
  readonly ip: string;
  /** Inserted by this batch. */
  readonly isNew: boolean;
  /** Counted rows before this batch (0: `attacker.observed` not yet sent). */
  readonly eventCountBefore: number;
  eventCount: number;
  firstSeen: string | null;
  lastSeen: string | null;
  commandCount: number;
  deckyCount: number;
  serviceCount: number;
  isTraversal: boolean;
  traversalPath: string | null;
  credentialCount: number;
  fingerprintCount: number;
  sessionCount: number;
  bountyCount: number;
  behaviorClass: string;
  /**
   * The behaviour document (analysis.md §1.3) when this batch computed it or the row is
   * new; undefined for a stored row whose document was not recomputed (the fold only
   * writes it, so it is never read back: its text is most of a row).
   */
  behavior: unknown;
  behaviorComputedAt: string | null;
  scoredSummary: unknown;
  scoredPublishedAt: string | null;
  scoredDirty: boolean;
  readonly createdAt: string;
  /** The row as last read or written on SQLite (saveAttackers then sends only what differs). */
  stored?: StoredRow;
}

/**
 * Column values as the database holds them, in LOADED_COLUMNS order (a written row adds
 * `updated_at`), and the JSON values they were parsed into.
 */
interface StoredRow {
  readonly values: readonly unknown[];
  readonly behavior: unknown;
  readonly scoredSummary: unknown;
}

/** The columns the fold reads: those it owns (`updated_at` it only writes), with the key, the address and the creation time. */
const LOADED_COLUMNS = [
  'id',
  'ip',
  'first_seen',
  'last_seen',
  'event_count',
  'decky_count',
  'service_count',
  'is_traversal',
  'traversal_path',
  'credential_count',
  'fingerprint_count',
  'session_count',
  'command_count',
  'bounty_count',
  'behavior_class',
  'behavior_computed_at',
  'scored_summary',
  'scored_published_at',
  'scored_dirty',
  'created_at',
] as const satisfies ReadonlyArray<keyof AttackersTable>;

type LoadedColumn = (typeof LOADED_COLUMNS)[number];
type LoadedRow = Pick<Selectable<AttackersTable>, LoadedColumn>;

/** Each loaded column's place in a row's values. */
const POSITION = Object.fromEntries(LOADED_COLUMNS.map((c, i) => [c, i])) as Record<LoadedColumn, number>;

/** Column `c` of a row's values. */
function valueOf<C extends LoadedColumn>(values: readonly unknown[], c: C): LoadedRow[C] {
  return values[POSITION[c]] as LoadedRow[C];
}

/**
 * SQLite: the values of the row with this `key`, or undefined. Fewer columns than `*`
 * (each one read costs its JS value), read as an array: cheaper than the driver's
 * named rows.
 */
function lookup(tx: WriteTx, key: 'ip' | 'id'): ((value: string) => unknown[] | undefined) | undefined {
  const statement = sqlitePreparedIn(tx, `select ${LOADED_COLUMNS.join(', ')} from attackers where ${key} = ?`)?.raw(true);
  return statement && ((value) => statement.get(value) as unknown[] | undefined);
}

/** A time column of a row's values, normalised (or null). */
function timeOf(values: readonly unknown[], c: 'first_seen' | 'last_seen' | 'behavior_computed_at' | 'scored_published_at'): string | null {
  const t = valueOf(values, c);
  return t === null ? null : isoFromDb(t);
}

function toState(values: readonly unknown[]): AttackerState {
  const eventCount = fromDbInt(valueOf(values, 'event_count'));
  const state: AttackerState = {
    id: valueOf(values, 'id'),
    ip: valueOf(values, 'ip'),
    isNew: false,
    eventCountBefore: eventCount,
    eventCount,
    firstSeen: timeOf(values, 'first_seen'),
    lastSeen: timeOf(values, 'last_seen'),
    commandCount: valueOf(values, 'command_count'),
    deckyCount: valueOf(values, 'decky_count'),
    serviceCount: valueOf(values, 'service_count'),
    isTraversal: fromDbBool(valueOf(values, 'is_traversal')),
    traversalPath: valueOf(values, 'traversal_path'),
    credentialCount: valueOf(values, 'credential_count'),
    fingerprintCount: valueOf(values, 'fingerprint_count'),
    sessionCount: valueOf(values, 'session_count'),
    bountyCount: valueOf(values, 'bounty_count'),
    behaviorClass: valueOf(values, 'behavior_class'),
    behavior: undefined,
    behaviorComputedAt: timeOf(values, 'behavior_computed_at'),
    scoredSummary: fromDbJson(valueOf(values, 'scored_summary')),
    scoredPublishedAt: timeOf(values, 'scored_published_at'),
    scoredDirty: fromDbBool(valueOf(values, 'scored_dirty')),
    createdAt: isoFromDb(valueOf(values, 'created_at')),
  };
  state.stored = { values, behavior: state.behavior, scoredSummary: state.scoredSummary };
  return state;
}

/** A row kysely read (PostgreSQL) as its values. */
function valuesOf(r: LoadedRow): unknown[] {
  return LOADED_COLUMNS.map((c) => r[c]);
}

/** A row for an IP never seen: no counted rows yet. */
export function newAttackerState(id: string, ip: string, now: string): AttackerState {
  return {
    id,
    ip,
    isNew: true,
    eventCountBefore: 0,
    eventCount: 0,
    firstSeen: null,
    lastSeen: null,
    commandCount: 0,
    deckyCount: 0,
    serviceCount: 0,
    isTraversal: false,
    traversalPath: null,
    credentialCount: 0,
    fingerprintCount: 0,
    sessionCount: 0,
    bountyCount: 0,
    behaviorClass: 'unknown',
    behavior: null,
    behaviorComputedAt: null,
    scoredSummary: null,
    scoredPublishedAt: null,
    scoredDirty: false,
    createdAt: now,
  };
}

/** The stored rows of these IPs, by IP. */
export async function loadAttackersByIp(tx: WriteTx, ips: readonly string[]): Promise<Map<string, AttackerState>> {
  const out = new Map<string, AttackerState>();
  // SQLite: one prepared lookup per IP beats compiling and preparing a 500-value IN list each batch
  const byIp = lookup(tx, 'ip');
  if (byIp) {
    for (const ip of ips) {
      const values = byIp(ip);
      if (values) out.set(ip, toState(values));
    }
    return out;
  }
  for (const part of chunks(ips, IN_LIST)) {
    const rows = await tx.db.selectFrom('attackers').select(LOADED_COLUMNS).where('ip', 'in', part).execute();
    for (const r of rows) out.set(r.ip, toState(valuesOf(r)));
  }
  return out;
}

/** Stored rows by id (the dirty sweep). */
export async function loadAttackersById(tx: WriteTx, ids: readonly string[]): Promise<AttackerState[]> {
  const out: AttackerState[] = [];
  const byId = lookup(tx, 'id');
  if (byId) {
    for (const id of [...ids].sort()) {
      const values = byId(id);
      if (values) out.push(toState(values));
    }
    return out;
  }
  for (const part of chunks(ids, IN_LIST)) out.push(...(await tx.db.selectFrom('attackers').select(LOADED_COLUMNS).where('id', 'in', part).orderBy('id').execute()).map((r) => toState(valuesOf(r))));
  return out;
}

/** A JSON column's text: the stored text while the value is the one parsed from it (no re-serialising). */
function jsonColumn(value: unknown, storedValue: unknown, storedText: unknown): string | null {
  if (value === null) return null;
  return storedText !== undefined && value === storedValue ? (storedText as string | null) : jsonText(value);
}

/** Where `behavior` sits in a written row's values: right after the loaded columns (ROW_COLUMNS). */
const BEHAVIOR = LOADED_COLUMNS.length;

function toRow(tx: WriteTx, s: AttackerState, now: string) {
  const bool = (v: boolean): boolean | number => (tx.dialect === 'sqlite' ? (v ? 1 : 0) : v);
  const stored = tx.dialect === 'sqlite' ? s.stored : undefined;
  return {
    id: s.id,
    ip: s.ip,
    first_seen: s.firstSeen,
    last_seen: s.lastSeen,
    event_count: s.eventCount,
    decky_count: s.deckyCount,
    service_count: s.serviceCount,
    is_traversal: bool(s.isTraversal),
    traversal_path: s.traversalPath,
    credential_count: s.credentialCount,
    fingerprint_count: s.fingerprintCount,
    session_count: s.sessionCount,
    command_count: s.commandCount,
    bounty_count: s.bountyCount,
    behavior_class: s.behaviorClass,
    // undefined (not loaded, not recomputed): left out of the write
    behavior: s.behavior === undefined ? undefined : jsonColumn(s.behavior, stored?.behavior, stored?.values[BEHAVIOR]),
    behavior_computed_at: s.behaviorComputedAt,
    scored_summary: jsonColumn(s.scoredSummary, stored?.scoredSummary, stored && valueOf(stored.values, 'scored_summary')),
    scored_published_at: s.scoredPublishedAt,
    scored_dirty: bool(s.scoredDirty),
    created_at: s.createdAt,
    updated_at: now,
  };
}

type AttackerRow = ReturnType<typeof toRow>;

/** The columns `toRow` fills, in the order of a row's values: those loaded, then `behavior` and `updated_at`. */
const ROW_COLUMNS = [...LOADED_COLUMNS, 'behavior', 'updated_at'] as const satisfies ReadonlyArray<keyof AttackerRow>;
// and toRow fills no other column (a compile-time check)
const _rowColumnsOnly: Record<Exclude<keyof AttackerRow, (typeof ROW_COLUMNS)[number]>, never> = {};
/** What saveAttackers writes back: all but the key, the address and the creation time. */
const SAVED_COLUMNS = ROW_COLUMNS.filter((c) => c !== 'id' && c !== 'ip' && c !== 'created_at');
/** Where each saved column sits in a row's values. */
const SAVED_POSITIONS = SAVED_COLUMNS.map((c) => ROW_COLUMNS.indexOf(c));
const UPDATED_AT = ROW_COLUMNS.indexOf('updated_at');

const INSERT_ATTACKER = `insert into attackers (${ROW_COLUMNS.join(', ')}, signal_version) values (${ROW_COLUMNS.map(() => '?').join(', ')}, 1)`;

/** The UPDATE of the saved columns whose bits are set in `mask` (bit i: SAVED_COLUMNS[i]), its text built once per set. */
const updateTexts = new Map<number, string>();
function updateText(mask: number): string {
  let text = updateTexts.get(mask);
  if (text === undefined) {
    const columns = SAVED_COLUMNS.filter((_, i) => (mask & (1 << i)) !== 0);
    text = `update attackers set ${columns.map((c) => `${c} = ?`).join(', ')} where ip = ?`;
    updateTexts.set(mask, text);
  }
  return text;
}
/** Every saved column: a row whose stored image is unknown. */
const ALL_SAVED = (1 << SAVED_COLUMNS.length) - 1;

/** A row's values, in ROW_COLUMNS order. */
function rowValues(row: AttackerRow): unknown[] {
  return ROW_COLUMNS.map((c) => row[c]);
}

/**
 * The UPDATE of a state's row to `values` and its parameters: the saved columns that
 * differ from what the database holds (all of them when that is unknown), `updated_at`
 * always, never an undefined one (a behaviour not recomputed). Leaving unchanged columns
 * out of the SET list spares SQLite the upkeep of the indexes on them (`first_seen`, the
 * `scored_dirty` partial one).
 */
function updateOf(s: AttackerState, values: readonly unknown[]): { text: string; params: unknown[] } {
  const before = s.stored?.values;
  let mask = 0;
  const params: unknown[] = [];
  SAVED_POSITIONS.forEach((at, i) => {
    if (values[at] === undefined || (before !== undefined && at !== UPDATED_AT && values[at] === before[at])) return;
    mask |= 1 << i;
    params.push(values[at]);
  });
  params.push(s.ip);
  return { text: updateText(mask), params };
}

/** Remembers what the row now holds. */
function markStored(s: AttackerState, values: readonly unknown[]): void {
  s.stored = { values, behavior: s.behavior, scoredSummary: s.scoredSummary };
}

/**
 * Inserts the new rows as they stand (so targets and sessions may reference them).
 * A new attacker's `signal_version` starts at 1, so `cluster` (§6.4) picks it up.
 */
export async function insertAttackers(tx: WriteTx, states: readonly AttackerState[], now: string): Promise<void> {
  const insert = sqlitePreparedIn(tx, INSERT_ATTACKER);
  if (insert) {
    for (const s of states) {
      const values = rowValues(toRow(tx, s, now));
      insert.run(values);
      markStored(s, values);
    }
    return;
  }
  for (const part of chunks(states, ROWS_PER_STATEMENT)) {
    if (part.length === 0) continue;
    await tx.db
      .insertInto('attackers')
      .values(part.map((s) => ({ ...toRow(tx, s, now), signal_version: 1 })))
      .execute();
  }
}

/** Writes back every column correlate owns (identity, intel and rotation columns are left alone). */
export async function saveAttackers(tx: WriteTx, states: readonly AttackerState[], now: string): Promise<void> {
  // SQLite: every state is a stored row (new ones were inserted first), so an update by address is the upsert
  if (sqlitePreparedIn(tx, updateText(ALL_SAVED))) {
    for (const s of states) {
      const values = rowValues(toRow(tx, s, now));
      const { text, params } = updateOf(s, values);
      // one statement per set of changed columns, prepared once (a handful of sets in practice)
      (sqlitePreparedIn(tx, text) as Statement).run(params);
      markStored(s, values);
    }
    return;
  }
  // PostgreSQL: one upsert per run of rows; those without a recomputed behaviour leave it as stored
  for (const withBehavior of [true, false]) {
    const columns = SAVED_COLUMNS.filter((c) => withBehavior || c !== 'behavior');
    for (const part of chunks(states.filter((s) => (s.behavior !== undefined) === withBehavior), ROWS_PER_STATEMENT)) {
      if (part.length === 0) continue;
      await tx.db
        .insertInto('attackers')
        .values(part.map((s) => toRow(tx, s, now)))
        .onConflict((oc) => oc.column('ip').doUpdateSet(Object.fromEntries(columns.map((c) => [c, sql.ref(`excluded.${c}`)]))))
        .execute();
    }
  }
}

/**
 * A rebuild's reset (rebuild.ts): every row's counted columns back to a new row's, so the
 * replay counts from zero. The id, address, creation time, what other workers own
 * (identity, intel, rotation, cluster versions) and what was last published as
 * `attacker.scored` stay.
 */
export async function resetAttackers(tx: WriteTx, now: string): Promise<void> {
  const { id: _id, ip: _ip, created_at: _created, scored_summary: _summary, scored_published_at: _published, ...counted } = toRow(tx, newAttackerState('', '', now), now);
  await tx.db.updateTable('attackers').set(counted).execute();
}
