/**
 * A checked RuleDefinition → the CompiledRule the engine runs: one closure per selection
 * (a list of maps holds when one map does, a map when all its field matchers do), the
 * condition, sequence steps and `when`s compiled over a memoised selection evaluator.
 */
import { compileCondition } from './condition.js';
import { buildMatcher, type FieldMatcher, type MatchContext } from './matchers.js';
import type { CompiledRule, RuleDefinition, RuleSourceKind } from './rule.js';

function allOf(ms: readonly FieldMatcher[]): FieldMatcher {
  if (ms.length === 1) return ms[0] as FieldMatcher;
  return (ctx) => {
    for (const m of ms) if (!m(ctx)) return false;
    return true;
  };
}

function anyOf(ms: readonly FieldMatcher[]): FieldMatcher {
  if (ms.length === 1) return ms[0] as FieldMatcher;
  return (ctx) => {
    for (const m of ms) if (m(ctx)) return true;
    return false;
  };
}

/** Aggregate values above this are never needed (§4.4). */
export const MAX_AGGREGATE_CAPACITY = 1000;

function aggregateCapacity(def: RuleDefinition): number {
  const a = def.aggregate;
  if (a === null) return 0;
  let k = Math.ceil(a.threshold.value) + (a.threshold.op === 'gt' ? 1 : 0);
  for (const e of def.emits) if (e.scale && 'steps' in e.scale) for (const st of e.scale.steps) k = Math.max(k, Math.ceil(st.gte));
  for (const s of def.selections) {
    if (!s.readsAggregate) continue;
    for (const map of s.alternatives) for (const c of map) if (c.field.startsWith('aggregate.') && (c.op === 'gte' || c.op === 'gt')) for (const v of c.values) k = Math.max(k, Math.ceil(v as number) + (c.op === 'gt' ? 1 : 0));
  }
  return Math.min(MAX_AGGREGATE_CAPACITY, Math.max(1, k));
}

export function compileRule(def: RuleDefinition, source: RuleSourceKind): CompiledRule {
  const selections = def.selections.map((s) => anyOf(s.alternatives.map((map) => allOf(map.map(buildMatcher))))) as ((ctx: MatchContext) => boolean)[];
  return {
    def,
    source,
    selections,
    condition: def.condition ? compileCondition(def.condition) : null,
    steps: def.sequence ? def.sequence.steps.map((s) => compileCondition(s.condition)) : [],
    whens: def.emits.map((e) => (e.when ? compileCondition(e.when) : null)),
    aggregateCapacity: aggregateCapacity(def),
  };
}
