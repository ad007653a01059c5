/**
 * Checks `detection` (selections and condition) of ttp.md §2.2–§2.4: selection names and
 * shapes, every key's modifiers and value, field names against the rule's inputs (a
 * selection with `kind: X` is checked against X alone), regex portability, and the
 * condition's grammar and references. Produces typed selections and the list of patterns
 * still to be proven (§3.3).
 */
import { parseCondition, resolveCondition, ConditionSyntaxError, type CondExpr } from '../condition.js';
import { isInputKind, type InputKind } from '../inputs/kinds.js';
import { buildCondition, parseKey, type FieldCondSpec } from '../modifiers.js';
import type { PathSegment, ProblemList } from '../problems.js';
import { badFlags, maxAlternation, parsePortableRegex } from '../regex/index.js';
import type { SelectionDef } from '../rule.js';
import { lookupField } from './fields.js';

const SELECTION_NAME = /^[a-z][a-z0-9_]*$/;

export interface PatternRef {
  readonly pattern: string;
  readonly flags: string;
  readonly path: readonly PathSegment[];
}

export interface DetectionResult {
  readonly selections: SelectionDef[];
  readonly names: string[];
  readonly conditionText: string | null;
  readonly patterns: PatternRef[];
  /** Number of regex conditions (patterns), and the largest alternation among them (§2.6). */
  readonly regexCount: number;
  readonly maxAlternation: number;
  /** Fields read that no producer sends. */
  readonly reservedFields: Set<string>;
}

/** Parses and resolves a condition at `path`; reports syntax and unknown names. */
export function checkCondition(text: string, path: readonly PathSegment[], names: readonly string[], problems: ProblemList): { expr: CondExpr; used: Set<number> } | null {
  let ast;
  try {
    ast = parseCondition(text);
  } catch (err) {
    if (err instanceof ConditionSyntaxError) {
      problems.add('condition_syntax', path, err.message, 'conditions combine selection names with `and`, `or`, `not`, parentheses and `1 of sel*` / `all of them`');
      return null;
    }
    throw err;
  }
  const { expr, unknown, used } = resolveCondition(ast, names);
  for (const u of unknown) problems.add('unknown_selection', path, `\`${u.name}\` is not defined (selections: ${names.map((n) => `\`${n}\``).join(', ') || 'none'})`, names.length > 0 ? `use one of ${names.join(', ')}, or define it under \`detection\`` : 'define selections under `detection`');
  return unknown.length > 0 ? null : { expr, used };
}

function checkMap(map: Record<string, unknown>, path: readonly PathSegment[], kinds: readonly InputKind[], hasAggregate: boolean, problems: ProblemList, out: { patterns: PatternRef[]; reserved: Set<string>; alternation: number }): { specs: FieldCondSpec[]; readsAggregate: boolean } | null {
  const entries = Object.entries(map);
  if (entries.length === 0) {
    problems.add('empty_selection', path, 'the selection has no conditions', 'add `field: value` conditions, or remove the selection');
    return null;
  }
  // `kind: X` scopes the other keys of this map to X (§2.2)
  let scope = kinds;
  const kindValue = map.kind;
  if (kindValue !== undefined) {
    const named = Array.isArray(kindValue) ? kindValue : [kindValue];
    const bad = named.filter((k) => !isInputKind(k) || !kinds.includes(k));
    if (bad.length > 0) problems.add('unknown_input', [...path, 'kind'], `kind \`${String(bad[0])}\` is not an input of this rule`, `use one of ${kinds.join(', ')}`);
    else scope = named as InputKind[];
  }
  const specs: FieldCondSpec[] = [];
  let readsAggregate = false;
  let ok = true;
  for (const [key, value] of entries) {
    const kp = [...path, key];
    const report = (code: Parameters<ProblemList['add']>[0], message: string, hint: string, sub: readonly PathSegment[] = []): void => {
      problems.add(code, [...kp, ...sub], message, hint);
      ok = false;
    };
    const parsed = parseKey(key, report);
    if (parsed === null) continue;
    const f = lookupField(parsed.field, scope, hasAggregate);
    if (!f.ok) {
      report(f.secret ? 'secret_field' : 'unknown_field_path', f.secret ? `no input has \`${parsed.field}\` (credentials are redacted)` : `no input of this rule has \`${parsed.field}\``, f.hint);
      continue;
    }
    if (f.reserved) out.reserved.add(parsed.field);
    if (f.aggregate) readsAggregate = true;
    if (parsed.op === 'fieldref' && typeof value === 'string') {
      const other = lookupField(value, scope, hasAggregate);
      if (!other.ok) report('unknown_field_path', `no input of this rule has \`${value}\``, other.hint);
    }
    const spec = buildCondition(key, parsed, value, f.type, report);
    if (spec === null) continue;
    for (const [i, r] of spec.regexes.entries()) {
      const rp = Array.isArray(value) ? [...kp, i] : kp;
      const bad = badFlags(r.flags);
      if (bad !== null) {
        report('bad_flags', `flags \`${bad}\``, 'only `i`, `m`, `s`, each at most once', Array.isArray(value) ? [i] : []);
        continue;
      }
      const { ast, issues } = parsePortableRegex(r.pattern, r.flags);
      for (const issue of issues) problems.add(issue.code, rp, issue.message, issue.hint);
      if (issues.length > 0) {
        ok = false;
        continue;
      }
      out.alternation = Math.max(out.alternation, maxAlternation(ast));
      out.patterns.push({ pattern: r.pattern, flags: r.flags, path: rp });
    }
    specs.push(spec);
  }
  return ok ? { specs, readsAggregate } : null;
}

/** Checks the selections and the condition. `hasAggregate` allows `aggregate.*` fields. */
export function checkDetection(detection: Record<string, unknown>, kinds: readonly InputKind[], hasAggregate: boolean, problems: ProblemList): DetectionResult {
  const selections: SelectionDef[] = [];
  const out = { patterns: [] as PatternRef[], reserved: new Set<string>(), alternation: 0 };
  const names: string[] = [];
  let conditionText: string | null = null;
  for (const [name, body] of Object.entries(detection)) {
    const path = ['detection', name];
    if (name === 'condition') {
      if (typeof body !== 'string') problems.add('wrong_type', path, `\`condition\` must be a string, got ${JSON.stringify(body)}`, "write it as text: `condition: 'sel and not filter'`");
      else conditionText = body;
      continue;
    }
    if (!SELECTION_NAME.test(name)) {
      problems.add('bad_id', path, `selection name \`${name}\` must match [a-z][a-z0-9_]*`, `rename it, e.g. \`${name.toLowerCase().replace(/[^a-z0-9_]/g, '_').replace(/^[^a-z]+/, '') || 'sel'}\``);
      continue;
    }
    names.push(name);
    const maps = Array.isArray(body) ? body : [body];
    if (Array.isArray(body) && body.length === 0) {
      problems.add('empty_selection', path, 'the selection is an empty list', 'add maps of conditions, or remove the selection');
      continue;
    }
    const alternatives: FieldCondSpec[][] = [];
    let readsAggregate = false;
    let ok = true;
    maps.forEach((m, i) => {
      const mp = Array.isArray(body) ? [...path, i] : path;
      if (m === null || typeof m !== 'object' || Array.isArray(m)) {
        problems.add('wrong_type', mp, `a selection is a map or a list of maps, got ${m === null ? 'null' : Array.isArray(m) ? 'a nested list' : typeof m}`, 'write `field: value` pairs');
        ok = false;
        return;
      }
      const r = checkMap(m as Record<string, unknown>, mp, kinds, hasAggregate, problems, out);
      if (r === null) ok = false;
      else {
        alternatives.push(r.specs);
        readsAggregate ||= r.readsAggregate;
      }
    });
    if (ok) selections.push({ name, alternatives, readsAggregate });
  }
  return { selections, names, conditionText, patterns: out.patterns, regexCount: out.patterns.length, maxAlternation: out.alternation, reservedFields: out.reserved };
}
