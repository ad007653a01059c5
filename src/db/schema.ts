/**
 * The kysely `Database` interface of the tables this layer creates. Column types are
 * what either driver may hand back (the repositories normalise them), so code that
 * reads through `db.kysely` must not assume one dialect's shapes:
 *
 * - booleans: `boolean` on PostgreSQL, `0 | 1` on SQLite (`fromDbBool`);
 * - `bigint`/`bigserial`: a string from node-pg, a number from better-sqlite3 (`fromDbInt`);
 * - times: text on both (PostgreSQL's `timestamptz` text form, or ISO on SQLite: `isoFromDb`);
 * - JSON: an object from `jsonb`, a string from SQLite `text`.
 *
 * Later issues add their tables in their own interfaces and widen the handle with
 * `db.kysely.withTables<TheirTables>()`.
 */
import type { ColumnType, GeneratedAlways } from 'kysely';
import type { CorrelateTables } from './correlate-tables.js';
import type { IngestTables } from './ingest-schema.js';
import type { TtpTables } from './ttp-tables.js';
import type { WebhookTables } from './webhook-tables.js';

/** A boolean column (stored 0/1 on SQLite). */
export type DbBool = ColumnType<boolean | number, boolean | number, boolean | number>;
/** A 64-bit integer column. */
export type DbInt8 = ColumnType<number | string, number, number>;
/** A time column: always written as the clock's ISO text. */
export type DbTime = ColumnType<string, string, string>;

export interface UsersTable {
  /** UUID. */
  id: string;
  username: string;
  password_hash: string;
  role: 'admin' | 'viewer';
  must_change_password: DbBool;
  /** Epoch seconds: tokens issued before it are refused. */
  tokens_valid_from: DbInt8;
  created_at: DbTime;
  updated_at: DbTime;
  last_login_at: ColumnType<string | null, string | null, string | null>;
}

export interface RevokedTokensTable {
  jti: string;
  /** Epoch seconds (the token's `exp`). */
  expires_at: DbInt8;
}

export interface EventsTable {
  /** Monotonic (AUTOINCREMENT on SQLite, bigserial on PostgreSQL); visible in commit order. */
  seq: GeneratedAlways<number | string>;
  /** The envelope id, 32 hex. */
  id: string;
  topic: string;
  type: string;
  /** Epoch seconds (float). */
  ts: number;
  payload: ColumnType<unknown, string, string>;
  created_at: DbTime;
}

export interface WorkerCursorsTable {
  worker: string;
  /** The input table (or stream) read, e.g. `logs`, `events`. */
  name: string;
  position: DbInt8;
  updated_at: DbTime;
}

/** `CorrelateTables`: analysis.md §1–§3 (correlate-tables.ts); `WebhookTables`: eventplane.md §4.1 (webhook-tables.ts); `IngestTables`: eventplane.md §8 (ingest-schema.ts); `TtpTables`: ttp.md §6 (ttp-tables.ts). */
export interface Database extends CorrelateTables, IngestTables, WebhookTables, TtpTables {
  users: UsersTable;
  revoked_tokens: RevokedTokensTable;
  events: EventsTable;
  worker_cursors: WorkerCursorsTable;
}
