/**
 * Sessions (analysis.md §2, CORRECTIONS #7.11, #7.12): a `session_recorded` row ends
 * one. The batch that folds it inserts one `attacker_sessions` row (unique `log_id`, so
 * a replayed batch inserts nothing) with the commands read as ingest reads them for
 * `attacker.session.ended`: the `command` rows of the same IP and decky in
 * `[ended_at − duration_s, ended_at]` — of that `session` when the rows carry one —
 * by timestamp then id, taken whole while under the caps.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { AnalysisConfig } from '../config/index.js';
import { sqlitePreparedIn } from '../db/repositories/prepared.js';
import { commandText } from '../ingest/command-text.js';
import type { AttackerState } from './attacker-state.js';
import { isoFromDb, type Database, type LogFacts, type LogsTable, type WriteTx } from '../db/index.js';
import { chunks, fromDbJson, jsonText, ROWS_PER_STATEMENT } from './sql.js';
import { epochMicros } from './time.js';
import { isInternalRow, SESSION_END_EVENT_TYPE } from './vocabulary.js';

/** Most commands a session keeps (§2). */
export const MAX_SESSION_COMMANDS = 500;
/** Bytes of command JSON a session keeps: `attacker.session.ended` must stay under the envelope limit (1 MiB − 1 KiB) with its other fields. */
export const MAX_SESSION_COMMAND_BYTES = 1024 * 1024 - 1024 - 16 * 1024;

export interface SessionCommand {
  readonly id: string;
  readonly command_text: string;
  readonly ts: string;
}

/** A `session_recorded` row as the session functions read it (ingest's `attacker.session.ended` shares them). */
export type SessionEnd = LogFacts;

export interface SessionWindow {
  readonly sessionId: string | null;
  readonly durationS: number;
  readonly startedAt: string;
  readonly endedAt: string;
}

function fieldText(fields: Readonly<Record<string, unknown>>, ...names: string[]): string | null {
  for (const name of names) {
    const v = fields[name];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number') return String(v);
  }
  return null;
}

/** The window of a session end row: `duration_s` may be a number or a numeric string; the start is floored to the microsecond. */
export function sessionWindow(row: SessionEnd): SessionWindow {
  const raw = row.fields.duration_s ?? row.fields.duration;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : 0;
  const durationS = Number.isFinite(n) && n > 0 ? n : 0;
  const startMicros = Math.floor(epochMicros(row.timestamp) - durationS * 1e6);
  const startMs = Math.floor(startMicros / 1000);
  const startedAt = `${new Date(startMs).toISOString().slice(0, 23)}${String(startMicros - startMs * 1000).padStart(3, '0')}Z`;
  return { sessionId: fieldText(row.fields, 'sid', 'session'), durationS, startedAt, endedAt: row.timestamp };
}

/** Commands whole, in order, while under both caps; `truncated` when one was left out. */
export function capCommands(all: readonly SessionCommand[]): { commands: SessionCommand[]; truncated: boolean } {
  const commands: SessionCommand[] = [];
  let bytes = 2;
  for (const c of all) {
    const size = Buffer.byteLength(JSON.stringify(c)) + 1;
    if (commands.length >= MAX_SESSION_COMMANDS || bytes + size > MAX_SESSION_COMMAND_BYTES) return { commands, truncated: true };
    commands.push(c);
    bytes += size;
  }
  return { commands, truncated: false };
}

/** What a session reads of a command row: its order, time, session field and command text. */
const COMMAND_COLUMNS = ['id', 'timestamp', 'fields', 'msg'] as const;
type CommandRow = Pick<Selectable<LogsTable>, (typeof COMMAND_COLUMNS)[number]>;

/**
 * The command rows of one address on one decky in a window, logged before `beforeId`.
 * `event_type = 'command'` is a literal in both forms so the planner can use the partial
 * index logs_session_commands (migration 20261230_000001). SQLite runs the text prepared:
 * ingest reads one session per `session_recorded` row, inside its batch.
 */
export const SESSION_COMMAND_ROWS = `select ${COMMAND_COLUMNS.join(', ')} from logs where attacker_ip = ? and decky = ? and event_type = 'command' and id < ? and timestamp >= ? and timestamp <= ? order by timestamp, id`;

/** SESSION_COMMAND_ROWS as a kysely query (PostgreSQL). */
export function sessionCommandRowsQuery(db: Kysely<Database>, ip: string, decky: string, beforeId: number, window: SessionWindow) {
  return db
    .selectFrom('logs')
    .select(COMMAND_COLUMNS)
    .where('attacker_ip', '=', ip)
    .where('decky', '=', decky)
    .where('event_type', '=', sql.lit('command'))
    .where('id', '<', beforeId)
    .where('timestamp', '>=', window.startedAt)
    .where('timestamp', '<=', window.endedAt)
    .orderBy('timestamp')
    .orderBy('id');
}

async function commandRows(tx: WriteTx, ip: string, decky: string, beforeId: number, window: SessionWindow): Promise<CommandRow[]> {
  const prepared = sqlitePreparedIn(tx, SESSION_COMMAND_ROWS);
  if (prepared) return prepared.all(ip, decky, beforeId, window.startedAt, window.endedAt) as CommandRow[];
  return sessionCommandRowsQuery(tx.db, ip, decky, beforeId, window).execute();
}

/**
 * The command rows of a session, read in `tx`: those logged before its end row (lower
 * ids), so the list depends on the rows alone, not on when it is read — ingest's event,
 * the fold and a rebuild agree even when a late command lands in the window.
 */
export async function sessionCommands(tx: WriteTx, end: SessionEnd, window: SessionWindow): Promise<SessionCommand[]> {
  if (end.attackerIp === null || end.decky === null) return [];
  const rows = (await commandRows(tx, end.attackerIp, end.decky, end.id, window)).map((r) => ({ fields: (fromDbJson(r.fields) ?? {}) as Record<string, unknown>, msg: r.msg, ts: isoFromDb(r.timestamp) }));
  const sid = window.sessionId;
  const mine = rows.filter((r) => {
    const s = fieldText(r.fields, 'session', 'sid');
    return sid === null || s === null || s === sid;
  });
  const prefix = sid ?? String(end.id);
  return mine.map((r, i) => ({ id: `${prefix}#${i}`, command_text: commandText(r) ?? '', ts: r.ts }));
}

/**
 * Inserts the sessions the batch's end rows describe; returns how many were written. A
 * replayed row (crash redo) inserts nothing; under `replay` (a rebuild) it rewrites the
 * row's content, keeping its id.
 */
export async function foldSessions(tx: WriteTx, rows: readonly LogFacts[], states: ReadonlyMap<string, AttackerState>, settings: AnalysisConfig, replay = false): Promise<number> {
  const values = [];
  for (const row of rows) {
    if (row.eventType !== SESSION_END_EVENT_TYPE || row.attackerIp === null || row.decky === null || isInternalRow(row, settings.internalDeckyPrefix)) continue;
    const attacker = states.get(row.attackerIp);
    if (!attacker) continue;
    const window = sessionWindow(row);
    const all = await sessionCommands(tx, row, window);
    const { commands, truncated } = capCommands(all);
    const service = row.service ?? '';
    values.push({
      id: randomUUID(),
      log_id: row.id,
      attacker_id: attacker.id,
      session_id: window.sessionId,
      decky: row.decky,
      service,
      started_at: window.startedAt,
      ended_at: window.endedAt,
      duration_s: window.durationS,
      command_count: all.length,
      commands: jsonText(commands),
      commands_truncated: tx.dialect === 'sqlite' ? (truncated ? 1 : 0) : truncated,
      shard_path: fieldText(row.fields, 'shard_path'),
      evidence_ref: `session:${row.decky}/${service}/${window.sessionId ?? row.id}`,
    });
  }
  let written = 0;
  for (const part of chunks(values, ROWS_PER_STATEMENT)) {
    const result = await tx.db
      .insertInto('attacker_sessions')
      .values(part)
      .onConflict((oc) =>
        replay
          ? oc.column('log_id').doUpdateSet((eb) => ({
              attacker_id: eb.ref('excluded.attacker_id'),
              session_id: eb.ref('excluded.session_id'),
              decky: eb.ref('excluded.decky'),
              service: eb.ref('excluded.service'),
              started_at: eb.ref('excluded.started_at'),
              ended_at: eb.ref('excluded.ended_at'),
              duration_s: eb.ref('excluded.duration_s'),
              command_count: eb.ref('excluded.command_count'),
              commands: eb.ref('excluded.commands'),
              commands_truncated: eb.ref('excluded.commands_truncated'),
              shard_path: eb.ref('excluded.shard_path'),
              evidence_ref: eb.ref('excluded.evidence_ref'),
            }))
          : oc.column('log_id').doNothing(),
      )
      .executeTakeFirst();
    written += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  return written;
}
