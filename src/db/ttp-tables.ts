/**
 * The tables of ATT&CK tagging (ttp.md §6): `ttp_tags` (one row per fact, "this input shows
 * this technique, by this rule"), the API's rule definitions, operators' rule states, and
 * the worker's catalogue of what it runs. Shapes follow schema.ts: booleans 0/1 on SQLite,
 * times as text, JSON as a string on SQLite and an object from jsonb.
 */
import type { ColumnType, GeneratedAlways } from 'kysely';
import type { DbTime } from './schema.js';
import type { NullableTime } from './webhook-tables.js';

type Json = ColumnType<unknown, string, string>;
type NullableJson = ColumnType<unknown, string | null, string | null>;

export interface TtpTagsTable {
  /** UUIDv5 (ttp.md §4.6). */
  id: string;
  /** The readers' cursor: visible in commit order (advisory lock on PostgreSQL). */
  seq: GeneratedAlways<number | string>;
  rule_id: string;
  rule_version: number;
  rule_source: 'builtin' | 'filesystem' | 'database';
  technique_id: string;
  sub_technique_id: string | null;
  tactic_id: string;
  /** 0.3–1, four decimals. */
  confidence: number;
  input_kind: string;
  input_id: string;
  /** JSON array of the `by` values. */
  group_key: Json;
  attacker_ip: string | null;
  attacker_uuid: string | null;
  identity_uuid: string | null;
  session_id: string | null;
  decky: string | null;
  service: string | null;
  /** JSON object, ≤ 4 KiB. */
  evidence: Json;
  attack_version: string;
  observed_at: DbTime;
  created_at: DbTime;
}

export interface TtpRulesTable {
  rule_id: string;
  yaml: string;
  version: number;
  content_sha256: string;
  created_at: DbTime;
  updated_at: DbTime;
  updated_by: string | null;
}

export type RuleStateColumn = 'enabled' | 'disabled' | 'clipped';

export interface TtpRuleStatesTable {
  rule_id: string;
  state: RuleStateColumn;
  confidence_max: number | null;
  expires_at: NullableTime;
  /** ≤ 512 characters. */
  reason: string | null;
  set_by: string;
  set_at: DbTime;
}

export interface TtpRuleCatalogTable {
  rule_id: string;
  /** The effective definition's store; null when no store has a valid one. */
  source: 'builtin' | 'filesystem' | 'database' | null;
  version: number | null;
  content_sha256: string | null;
  /** The effective text. */
  yaml: string | null;
  name: string | null;
  title: string | null;
  status: string | null;
  /** JSON array of input kinds. */
  inputs: Json;
  /** JSON array of `{technique, tactic, confidence}`. */
  emits: Json;
  /** JSON array, one per store: `{source, version, content_sha256, valid, pending, problems, path, seen_at}`. */
  candidates: Json;
  /** `{source, at, problems}` or null. */
  last_error: NullableJson;
  loaded_at: NullableTime;
  /** `host:pid` of the worker that wrote the row. */
  instance: string;
  updated_at: DbTime;
}

export interface TtpTables {
  ttp_tags: TtpTagsTable;
  ttp_rules: TtpRulesTable;
  ttp_rule_states: TtpRuleStatesTable;
  ttp_rule_catalog: TtpRuleCatalogTable;
}
