/**
 * Typed rules: the checked definition (`RuleDefinition`, what lint produces from a
 * document) and the compiled rule the engine runs (`CompiledRule`, closures and
 * signatures). A definition is data; a compiled rule is a definition plus its matchers.
 */
import type { CondExpr } from './condition.js';
import type { Input } from './inputs/input.js';
import type { InputKind } from './inputs/kinds.js';
import type { MatchContext } from './matchers.js';
import type { FieldCondSpec } from './modifiers.js';

export type RuleStatus = 'stable' | 'experimental' | 'deprecated';
export type RuleSourceKind = 'builtin' | 'filesystem' | 'database';
export type AggregateFunction = 'count' | 'count_distinct' | 'sum';

/** Confidence below this is never written (§2.7); a constant the pack depends on. */
export const CONFIDENCE_FLOOR = 0.3;

export interface SelectionDef {
  readonly name: string;
  /** A list of maps: holds when one map does; a map holds when all its conditions do. */
  readonly alternatives: readonly (readonly FieldCondSpec[])[];
  /** Reads `aggregate.*`, so it may appear only in `when` (§2.5). */
  readonly readsAggregate: boolean;
}

export interface AggregateDef {
  readonly function: AggregateFunction;
  readonly field: string | null;
  readonly by: readonly string[];
  readonly windowMs: number;
  readonly threshold: { readonly op: 'gte' | 'gt'; readonly value: number };
}

export interface SequenceStepDef {
  readonly condition: CondExpr;
  readonly times: number;
}

export interface SequenceDef {
  readonly by: readonly string[];
  readonly withinMs: number;
  readonly steps: readonly SequenceStepDef[];
}

export interface SuppressDef {
  readonly windowMs: number;
  /** Null: the aggregate or sequence key, else `[attacker_ip]`. */
  readonly by: readonly string[] | null;
}

export type ScaleDef = { readonly by: string; readonly steps: readonly { readonly gte: number; readonly confidence: number }[] } | { readonly by: string; readonly ratio: number };

export interface EmitDef {
  /** As written (`T1003.008`); tags and tests name it this way. */
  readonly technique: string;
  /** Parent id (`T1003`). */
  readonly techniqueId: string;
  readonly subTechniqueId: string | null;
  readonly tacticId: string;
  readonly confidence: number;
  readonly when: CondExpr | null;
  readonly scale: ScaleDef | null;
}

export interface TestExpect {
  readonly techniques: readonly string[];
  readonly count: number | null;
  readonly maxConfidence: number | null;
}

export interface TestDef {
  readonly name: string;
  /** 1-based line of the test entry, when known. */
  readonly line: number | null;
  readonly inputs: readonly Input[];
  readonly expect: TestExpect;
}

export interface RuleDefinition {
  readonly id: string;
  readonly version: number;
  readonly name: string;
  readonly title: string;
  readonly status: RuleStatus;
  readonly pending: string | null;
  readonly replacedBy: string | null;
  readonly description: string;
  readonly inputs: readonly InputKind[];
  readonly selections: readonly SelectionDef[];
  /** Null for a sequence rule without a filter. */
  readonly condition: CondExpr | null;
  readonly aggregate: AggregateDef | null;
  readonly sequence: SequenceDef | null;
  /** false: explicitly off. */
  readonly suppress: SuppressDef | false;
  readonly emits: readonly EmitDef[];
  readonly evidenceFields: readonly string[];
  readonly tests: readonly TestDef[];
  readonly references: readonly string[];
  /** SHA-256 of the definition's text. */
  readonly contentSha256: string;
  /** Hash of inputs, detection and aggregate/sequence: equal signatures keep engine state (§4.7). */
  readonly stateSignature: string;
  /** Hash of the effective suppression: equal ones keep suppression records. */
  readonly suppressSignature: string;
}

/** Evaluates selection `i` for the current input (memoised by the engine). */
export type SelectionEval = (i: number) => boolean;

export interface CompiledRule {
  readonly def: RuleDefinition;
  readonly source: RuleSourceKind;
  /** One closure per selection, in `def.selections` order. */
  readonly selections: readonly ((ctx: MatchContext) => boolean)[];
  readonly condition: ((sel: SelectionEval) => boolean) | null;
  readonly steps: readonly ((sel: SelectionEval) => boolean)[];
  readonly whens: readonly (((sel: SelectionEval) => boolean) | null)[];
  /**
   * Entries an aggregate group keeps (§4.4): the larger of the threshold, the top
   * `confidence_scale` step and any `aggregate.*` bound a `when` reads, ≤ 1000.
   */
  readonly aggregateCapacity: number;
}
