/**
 * What a rule store offers (ttp.md §5.1): per rule id a candidate — the store's last valid
 * definition, if any, and the state of its current text. Field names follow the
 * `ttp_rule_catalog.candidates` records (§6.2) they end up in.
 */
import type { Clock, Logger } from '../../bus/index.js';
import type { Problem } from '../problems.js';
import type { CompiledRule, RuleSourceKind } from '../rule.js';
import type { RuleValidator } from './validator.js';

/** Lowest first: per rule id the highest store with a valid definition wins. */
export const STORE_PRECEDENCE: readonly RuleSourceKind[] = ['builtin', 'filesystem', 'database'];

/** A definition that validated (tests included). */
export interface GoodDefinition {
  readonly rule: CompiledRule;
  readonly yaml: string;
  readonly content_sha256: string;
  readonly version: number;
  /** The file it was read from; null for the database and for a restored seed. */
  readonly path: string | null;
}

/** The store's current text of a rule, valid or not. */
export interface CurrentText {
  readonly content_sha256: string;
  /** The version the text declares (also when it does not validate); null when it declares none it can be read from. */
  readonly version: number | null;
  readonly valid: boolean;
  /** Waiting for a regex proof: the last good definition keeps running meanwhile. */
  readonly pending: boolean;
  readonly problems: readonly Problem[];
  readonly path: string | null;
  /** When this text was first seen (ISO, microseconds). */
  readonly seen_at: string;
}

export interface Candidate {
  readonly rule_id: string;
  /** The last valid definition: the current text when valid, else what was valid before. */
  readonly good: GoodDefinition | null;
  readonly current: CurrentText;
}

export interface RuleStore {
  readonly source: RuleSourceKind;
  /** Loads the store (no change is reported for what is there at start), then watches it until `signal` aborts. */
  start(signal: AbortSignal): Promise<void>;
  candidates(): ReadonlyMap<string, Candidate>;
  /** Once per rule per change, never batched. */
  onChange(cb: (ruleId: string) => void): void;
}

/** What every store takes. */
export interface StoreOptions {
  readonly validator: RuleValidator;
  /**
   * Last good texts by rule id (the worker takes them from `ttp_rule_catalog` rows whose
   * effective source is this store): restored when the current text no longer validates.
   */
  readonly seed?: ReadonlyMap<string, string>;
  readonly clock?: Clock;
  readonly log?: Logger;
}
