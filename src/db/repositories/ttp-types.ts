/**
 * The contracts of the ATT&CK tagging repositories (ttp.md §6): tags, and the rule
 * tables (API definitions, operators' states, the worker's catalogue). Implementations
 * are ttp-tags.ts and ttp-rules.ts; every method runs in the dialect conformance suite.
 * Times are ISO-8601 UTC with six fractional digits on the way in and out.
 */
import type { WriteTx } from '../unit-of-work.js';

export type RuleSource = 'builtin' | 'filesystem' | 'database';

/** A tag as written (the engine's Tag, ttp.md §4.6). */
export interface NewTtpTag {
  readonly id: string;
  readonly rule_id: string;
  readonly rule_version: number;
  readonly rule_source: RuleSource;
  /** The parent technique (`T1003`). */
  readonly technique_id: string;
  readonly sub_technique_id: string | null;
  readonly tactic_id: string;
  readonly confidence: number;
  readonly input_kind: string;
  readonly input_id: string;
  readonly group_key: readonly unknown[];
  readonly attacker_ip: string | null;
  readonly attacker_uuid: string | null;
  readonly identity_uuid: string | null;
  readonly session_id: string | null;
  readonly decky: string | null;
  readonly service: string | null;
  readonly evidence: Record<string, unknown>;
  readonly attack_version: string;
  readonly observed_at: string;
}

export interface TtpTagRow extends NewTtpTag {
  readonly seq: number;
  readonly created_at: string;
}

export interface TagFilter {
  readonly attacker_ip?: string;
  readonly attacker_uuid?: string;
  /** Tags linked to the attacker, or unlinked at its address (`by-attacker`, attacker API). */
  readonly attacker?: { readonly uuid: string; readonly ip: string };
  readonly session_id?: string;
  /** A parent matches its sub-techniques (`T1110` matches `T1110.001`); `T1110.001` only itself. */
  readonly technique?: string;
  readonly tactic?: string;
  readonly rule_id?: string;
  readonly min_confidence?: number;
  /** ISO, inclusive bounds on `observed_at`. */
  readonly since?: string;
  readonly until?: string;
  /** Tags of `attacker_ip` on `decky` within [since, until] (the `by-session` fallback). */
  readonly decky?: string;
}

/** One per (technique_id, sub_technique_id) over the filtered tags (ttp.md §8.1 TechniqueRow, without catalogue names). */
export interface TechniqueAggregate {
  readonly technique_id: string;
  readonly sub_technique_id: string | null;
  readonly tactic_ids: string[];
  readonly tag_count: number;
  /** Distinct attackers: by address (tags carry it whenever it is known), else by `attacker_uuid`. */
  readonly attacker_count: number;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly max_confidence: number;
  readonly rule_ids: string[];
}

export interface TtpTagsRepo {
  /**
   * `INSERT … ON CONFLICT (id) DO NOTHING RETURNING id` in chunks of 200, in `tx` after the
   * `ttp_tags` advisory lock; returns exactly the ids that were new, in input order.
   */
  insertMany(tx: WriteTx, tags: readonly NewTtpTag[]): Promise<string[]>;
  /** Sets `attacker_uuid` on the unlinked tags of `ip`; returns how many. */
  linkAttacker(ip: string, attackerUuid: string, tx?: WriteTx): Promise<number>;
  /** Up to `limit` distinct addresses that have unlinked tags (`attacker_uuid` null, `attacker_ip` set). */
  unlinkedIps(limit: number, tx?: WriteTx): Promise<string[]>;
  /** Sets `session_id` on the tags whose `input_id` is one of `inputIds` and whose `session_id` is null; returns how many. */
  linkSession(tx: WriteTx, sessionId: string, inputIds: readonly string[]): Promise<number>;
  get(id: string, tx?: WriteTx): Promise<TtpTagRow | undefined>;
  /** Newest `observed_at` first (then seq descending). */
  list(filter: TagFilter, page: { limit: number; offset: number }): Promise<{ tags: TtpTagRow[]; total: number }>;
  /** Per (technique, sub-technique) over the filter, ordered by technique_id then sub_technique_id. */
  techniques(filter: TagFilter): Promise<TechniqueAggregate[]>;
  /** For a page of attackers, one grouped query: attacker id → its technique aggregates (linked tags and unlinked ones at its address). */
  techniquesForAttackers(attackers: readonly { readonly id: string; readonly ip: string }[]): Promise<Map<string, TechniqueAggregate[]>>;
  /** Scope summary for rollups: count, first/last seen, distinct ips and uuids. */
  summary(filter: TagFilter): Promise<{ tag_count: number; first_seen: string | null; last_seen: string | null; attacker_ips: string[]; attacker_uuids: string[] }>;
  /** Tags per rule id (RuleSummary.tag_count). */
  countByRule(): Promise<Map<string, number>>;
  /** Deletes tags observed before `iso`; returns how many (retention). */
  pruneObservedBefore(iso: string): Promise<number>;
}

export interface StoredRule {
  readonly rule_id: string;
  readonly yaml: string;
  readonly version: number;
  readonly content_sha256: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly updated_by: string | null;
}

export interface RuleStateRow {
  readonly rule_id: string;
  readonly state: 'enabled' | 'disabled' | 'clipped';
  readonly confidence_max: number | null;
  readonly expires_at: string | null;
  readonly reason: string | null;
  readonly set_by: string;
  readonly set_at: string;
}

export interface CandidateRecord {
  readonly source: RuleSource;
  readonly version: number | null;
  readonly content_sha256: string | null;
  readonly valid: boolean;
  readonly pending: boolean;
  readonly problems: readonly Record<string, unknown>[];
  readonly path: string | null;
  readonly seen_at: string;
}

export interface RuleCatalogRow {
  readonly rule_id: string;
  readonly source: RuleSource | null;
  readonly version: number | null;
  readonly content_sha256: string | null;
  readonly yaml: string | null;
  readonly name: string | null;
  readonly title: string | null;
  readonly status: string | null;
  readonly inputs: readonly string[];
  readonly emits: readonly Record<string, unknown>[];
  readonly candidates: readonly CandidateRecord[];
  readonly last_error: { readonly source: RuleSource; readonly at: string; readonly problems: readonly Record<string, unknown>[] } | null;
  readonly loaded_at: string | null;
  readonly instance: string;
  readonly updated_at: string;
}

export interface TtpRulesRepo {
  /** `SELECT rule_id, content_sha256 FROM ttp_rules` (the database store's poll). */
  hashes(tx?: WriteTx): Promise<Map<string, string>>;
  getRule(ruleId: string, tx?: WriteTx): Promise<StoredRule | undefined>;
  getRules(ruleIds: readonly string[], tx?: WriteTx): Promise<StoredRule[]>;
  /** Inserts (version 1) or replaces (version + 1); returns the stored row and whether it was created. */
  putRule(tx: WriteTx, rule: { rule_id: string; yaml: string; content_sha256: string; updated_by: string | null }): Promise<{ rule: StoredRule; created: boolean }>;
  /** Returns whether a row was deleted. */
  deleteRule(tx: WriteTx, ruleId: string): Promise<boolean>;

  listStates(tx?: WriteTx): Promise<RuleStateRow[]>;
  getState(ruleId: string, tx?: WriteTx): Promise<RuleStateRow | undefined>;
  setState(tx: WriteTx, row: RuleStateRow): Promise<void>;
  /** Returns the deleted row, if any. */
  deleteState(tx: WriteTx, ruleId: string): Promise<RuleStateRow | undefined>;
  /** `DELETE … WHERE rule_id = ? AND expires_at = ?` (a newer setting survives); returns whether it deleted. */
  deleteExpiredState(tx: WriteTx, ruleId: string, expiresAt: string): Promise<boolean>;

  upsertCatalog(tx: WriteTx, row: RuleCatalogRow): Promise<void>;
  getCatalog(ruleId: string, tx?: WriteTx): Promise<RuleCatalogRow | undefined>;
  listCatalog(tx?: WriteTx): Promise<RuleCatalogRow[]>;
}
