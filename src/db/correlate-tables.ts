/**
 * The tables `correlate` writes (analysis.md §1–§3): attacker profiles and their
 * per-(decky, service) targets, sessions, and credential-reuse findings. Shapes follow
 * schema.ts: booleans 0/1 on SQLite, bigints as strings from node-pg, times as text,
 * JSON as a string on SQLite and an object from jsonb.
 */
import type { ColumnType } from 'kysely';
import type { DbBool, DbInt8, DbTime } from './schema.js';

/** A nullable time column. */
export type DbTimeOrNull = ColumnType<string | null, string | null, string | null>;
/** A JSON column: written as text, read as text (SQLite) or an object (jsonb). */
export type DbJson = ColumnType<unknown, string, string>;
export type DbJsonOrNull = ColumnType<unknown, string | null, string | null>;
/** An integer column with a default: optional on insert. */
export type DbDefaultInt = ColumnType<number, number | undefined, number>;
export type DbDefaultInt8 = ColumnType<number | string, number | undefined, number>;

/** One row per source IP, forever (analysis.md §1.1). */
export interface AttackersTable {
  id: string;
  /** Normalised (RFC 5952, IPv4-mapped → IPv4), as ingest stores `logs.attacker_ip`. */
  ip: string;
  identity_id: string | null;
  /** Min/max timestamp of counted rows; null while only internal rows were seen. */
  first_seen: DbTimeOrNull;
  last_seen: DbTimeOrNull;
  event_count: DbInt8;
  decky_count: number;
  service_count: number;
  is_traversal: DbBool;
  traversal_path: string | null;
  credential_count: number;
  fingerprint_count: number;
  session_count: number;
  command_count: number;
  bounty_count: number;
  behavior_class: string;
  behavior: DbJsonOrNull;
  behavior_computed_at: DbTimeOrNull;
  rotation_count: DbDefaultInt;
  last_rotation_at: DbTimeOrNull;
  asn: number | null;
  as_name: string | null;
  country_code: string | null;
  signal_version: DbDefaultInt8;
  clustered_version: DbDefaultInt8;
  /** What stands for the last `attacker.scored` published: its decisive fields and a digest of the rest (StoredSummary in src/correlate/scored.ts). */
  scored_summary: DbJsonOrNull;
  scored_published_at: DbTimeOrNull;
  scored_dirty: DbBool;
  created_at: DbTime;
  updated_at: DbTime;
}

/** Unique (attacker_id, decky, service); `service` is `''` for a row without one. */
export interface AttackerTargetsTable {
  attacker_id: string;
  decky: string;
  service: string;
  first_seen: DbTime;
  last_seen: DbTime;
  event_count: DbInt8;
  interaction_count: DbInt8;
  noise_count: DbInt8;
}

/** One row per folded `session_recorded` log row (analysis.md §2). */
export interface AttackerSessionsTable {
  id: string;
  log_id: DbInt8;
  attacker_id: string;
  session_id: string | null;
  decky: string;
  service: string;
  started_at: DbTime;
  ended_at: DbTime;
  duration_s: number;
  command_count: number;
  /** JSON array of `{id, command_text, ts}`, at most 500. */
  commands: DbJson;
  commands_truncated: DbBool;
  shard_path: string | null;
  evidence_ref: string;
}

/** One finding per (secret_sha256, secret_kind, principal_key) (analysis.md §3). */
export interface CredentialReuseTable {
  id: string;
  secret_sha256: string;
  secret_kind: string;
  /** null for none, `*` across principals. */
  principal: string | null;
  /** `''` for none, `*` across principals, else the principal. */
  principal_key: string;
  target_count: number;
  attacker_count: number;
  confidence: number;
  first_seen: DbTime;
  last_seen: DbTime;
  detected_at: DbTime;
  updated_at: DbTime;
  /** The lists of its last `credential.reuse.detected` (sorted, capped, `truncated`); null before they were kept. */
  lists: DbJsonOrNull;
}

export interface CredentialReuseTargetsTable {
  reuse_id: string;
  decky: string;
  service: string;
  first_seen: DbTime;
  last_seen: DbTime;
}

export interface CredentialReuseAttackersTable {
  reuse_id: string;
  attacker_ip: string;
  attacker_id: string | null;
}

export interface CorrelateTables {
  attackers: AttackersTable;
  attacker_targets: AttackerTargetsTable;
  attacker_sessions: AttackerSessionsTable;
  credential_reuse: CredentialReuseTable;
  credential_reuse_targets: CredentialReuseTargetsTable;
  credential_reuse_attackers: CredentialReuseAttackersTable;
}
