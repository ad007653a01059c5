/**
 * Checks `aggregate`, `sequence` and `suppress` (ttp.md §2.5): functions, fields, group
 * keys (1–4 known fields), windows (1 s–24 h; suppression up to 7 d), thresholds, and
 * sequence steps (2–8, `times` 1–1000, each a condition over the selections).
 */
import type { InputKind } from '../inputs/kinds.js';
import type { PathSegment, ProblemList } from '../problems.js';
import type { AggregateDoc, SequenceDoc, SuppressDoc } from '../rule-schema.js';
import type { AggregateDef, AggregateFunction, SequenceDef, SequenceStepDef, SuppressDef } from '../rule.js';
import { checkCondition } from './detection.js';
import { DAY, durationHint, parseDuration, SECOND } from './durations.js';
import { lookupField } from './fields.js';

const FUNCTIONS: readonly AggregateFunction[] = ['count', 'count_distinct', 'sum'];

function window(value: unknown, path: readonly PathSegment[], maxMs: number, maxText: string, problems: ProblemList): number | null {
  const ms = parseDuration(value);
  if (ms === null) {
    problems.add('bad_duration', path, `\`${String(value)}\` is not a duration`, durationHint(value));
    return null;
  }
  if (ms < SECOND || ms > maxMs) {
    problems.add('bad_duration', path, `\`${String(value)}\` is outside 1s–${maxText}`, `write a duration between 1s and ${maxText}`);
    return null;
  }
  return ms;
}

function groupFields(by: readonly string[], path: readonly PathSegment[], kinds: readonly InputKind[], problems: ProblemList): boolean {
  if (by.length < 1 || by.length > 4) {
    problems.add('bad_group_field', path, `\`by\` has ${by.length} fields`, 'group by 1 to 4 fields (`by: [attacker_ip]`)');
    return false;
  }
  let ok = true;
  by.forEach((f, i) => {
    const r = lookupField(f, kinds, false);
    if (!r.ok || r.type === 'map' || r.type === 'strings' || r.type === 'numbers') {
      problems.add('bad_group_field', [...path, i], `\`by: [${f}]\` is not a field of ${kinds.join(', ')}`, r.ok ? 'group by a scalar field' : r.hint);
      ok = false;
    }
  });
  return ok;
}

export function checkAggregate(a: AggregateDoc, kinds: readonly InputKind[], problems: ProblemList): AggregateDef | null {
  let ok = true;
  const fn = a.function as AggregateFunction;
  if (!FUNCTIONS.includes(fn)) {
    problems.add('wrong_type', ['aggregate', 'function'], `\`${a.function}\` is not an aggregate function`, 'use count, count_distinct or sum');
    ok = false;
  }
  if ((fn === 'count_distinct' || fn === 'sum') && a.field === undefined) {
    problems.add('aggregate_field_missing', ['aggregate'], `\`${fn}\` needs \`field\``, fn === 'sum' ? 'add `field: <numeric field>`' : 'add `field: <field to count distinct values of>`');
    ok = false;
  }
  if (a.field !== undefined) {
    const r = lookupField(a.field, kinds, false);
    if (!r.ok) {
      problems.add('unknown_field_path', ['aggregate', 'field'], `no input of this rule has \`${a.field}\``, r.hint);
      ok = false;
    }
  }
  if (!groupFields(a.by, ['aggregate', 'by'], kinds, problems)) ok = false;
  const ms = window(a.window, ['aggregate', 'window'], DAY, '24h', problems);
  if (ms === null) ok = false;
  const both = a.gte !== undefined && a.gt !== undefined;
  const value = a.gte ?? a.gt;
  if (both || value === undefined) {
    problems.add('bad_threshold', ['aggregate'], both ? 'both `gte` and `gt`' : 'no threshold', 'exactly one of `gte`/`gt`');
    ok = false;
  } else if (!(value > 0)) {
    problems.add('bad_threshold', ['aggregate', a.gte !== undefined ? 'gte' : 'gt'], `threshold ${value} is not positive`, 'write a number above 0');
    ok = false;
  }
  if (!ok || ms === null || value === undefined) return null;
  return { function: fn, field: a.field ?? null, by: a.by, windowMs: ms, threshold: { op: a.gte !== undefined ? 'gte' : 'gt', value } };
}

export function checkSequence(s: SequenceDoc, kinds: readonly InputKind[], names: readonly string[], aggregateSelections: ReadonlySet<number>, problems: ProblemList, used: Set<number>): SequenceDef | null {
  let ok = groupFields(s.by, ['sequence', 'by'], kinds, problems);
  const ms = window(s.within, ['sequence', 'within'], DAY, '24h', problems);
  if (ms === null) ok = false;
  if (s.steps.length < 2 || s.steps.length > 8) {
    problems.add('sequence_steps', ['sequence', 'steps'], `${s.steps.length} steps`, 'a sequence has 2–8 steps');
    ok = false;
  }
  const steps: SequenceStepDef[] = [];
  s.steps.forEach((step, i) => {
    const times = step.times ?? 1;
    if (times < 1 || times > 1000) {
      problems.add('sequence_steps', ['sequence', 'steps', i, 'times'], `times ${times}`, '`times` is 1–1000');
      ok = false;
    }
    const c = checkCondition(step.condition, ['sequence', 'steps', i, 'condition'], names, problems);
    if (c === null) {
      ok = false;
      return;
    }
    for (const u of c.used) {
      used.add(u);
      if (aggregateSelections.has(u)) {
        problems.add('aggregate_in_condition', ['sequence', 'steps', i, 'condition'], '`aggregate.*` only in `when` and `confidence_scale`', 'move the selection into an emit’s `when`');
        ok = false;
      }
    }
    steps.push({ condition: c.expr, times });
  });
  return ok && ms !== null ? { by: s.by, withinMs: ms, steps } : null;
}

export function checkSuppress(s: SuppressDoc | false | undefined, kinds: readonly InputKind[], problems: ProblemList): { ok: boolean; def: SuppressDef | false | null } {
  if (s === undefined) return { ok: true, def: null };
  if (s === false) return { ok: true, def: false };
  let ok = true;
  const ms = window(s.window, ['suppress', 'window'], 7 * DAY, '7d', problems);
  if (ms === null) ok = false;
  if (s.by !== undefined && !groupFields(s.by, ['suppress', 'by'], kinds, problems)) ok = false;
  return { ok, def: ok && ms !== null ? { windowMs: ms, by: s.by ?? null } : null };
}
