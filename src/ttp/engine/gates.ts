/**
 * Rule gates: a necessary condition of a rule for one input kind, derived from its
 * condition — "it can only hold when `programs` holds one of {find}, or `command_text`
 * contains `getent`" — so the engine skips the rules an input's values rule out without
 * running their conditions (ttp.md §4.8: dispatch by kind, set lookups, literal prefilters).
 *
 * A gate is a disjunction of atoms: value sets, looked up once per input for the whole
 * kind, and required literals of a text field, tested per rule with `includes`.
 * Derivation is partial evaluation for the kind: a selection scoped to another kind is
 * false; a map is gated by its best atom (plain equality; `contains`/`startswith`/
 * `endswith`; a regex's required literals); `and` takes its best gated part, `or` the
 * union of its parts' atoms; `not` gates nothing. Transformed values (`urldecode`,
 * `b64decode`) are never gated on the raw text. Sound by construction: a gate never
 * excludes an input the condition could accept.
 */
import type { CondExpr } from '../condition.js';
import type { InputKind } from '../inputs/kinds.js';
import type { FieldCondSpec } from '../modifiers.js';
import { parsePortableRegex, requiredLiterals } from '../regex/index.js';
import type { CompiledRule, SelectionDef } from '../rule.js';

export interface SetAtom {
  readonly field: string;
  readonly values: ReadonlySet<unknown>;
}

export interface TextAtom {
  readonly field: string;
  readonly literals: readonly string[];
  /** Test on the ASCII-folded lower-case copy (nocase, or regex `flags: i`). */
  readonly fold: boolean;
}

export interface Gate {
  readonly sets: readonly SetAtom[];
  readonly texts: readonly TextAtom[];
}

/** The rule cannot hold for this kind. */
export const NEVER = 'never' as const;
export type GateResult = Gate | null | typeof NEVER;

const MIN_LITERAL = 2;

function specGate(spec: FieldCondSpec): Gate | null {
  if (spec.transforms.length > 0 || spec.field.includes('.') || spec.field === 'kind') return null;
  if (spec.op === 'eq' && !spec.nocase) return { sets: [{ field: spec.field, values: new Set(spec.values) }], texts: [] };
  if (spec.op === 'contains' || spec.op === 'startswith' || spec.op === 'endswith') {
    const literals = spec.values as string[];
    if (literals.some((l) => l.length < MIN_LITERAL)) return null;
    // nocase values are lower-cased; only ASCII folds the same way as the prefilter copy
    if (spec.nocase && literals.some((l) => [...l].some((ch) => ch.charCodeAt(0) > 0x7f))) return null;
    return { sets: [], texts: [{ field: spec.field, literals, fold: spec.nocase }] };
  }
  if (spec.op === 're') {
    const texts: TextAtom[] = [];
    for (const r of spec.regexes) {
      const fold = r.flags.includes('i');
      const lits = requiredLiterals(parsePortableRegex(r.pattern, r.flags).ast, fold);
      if (lits === null) return null;
      texts.push({ field: spec.field, literals: lits, fold });
    }
    return texts.length > 0 ? { sets: [], texts } : null;
  }
  return null;
}

/** Cheaper first: set atoms only, then fewer text atoms with longer literals. */
function cost(g: Gate): number {
  if (g.texts.length === 0) return g.sets.length;
  const shortest = Math.min(...g.texts.flatMap((t) => t.literals.map((l) => l.length)));
  return 100 + g.texts.reduce((n, t) => n + t.literals.length, 0) * 10 - Math.min(shortest, 9);
}

function better(a: Gate | null, b: Gate | null): Gate | null {
  if (a === null) return b;
  if (b === null) return a;
  return cost(a) <= cost(b) ? a : b;
}

function union(parts: readonly GateResult[]): GateResult {
  const live = parts.filter((p) => p !== NEVER);
  if (live.length === 0) return NEVER;
  if (live.some((p) => p === null)) return null;
  const gates = live as Gate[];
  return { sets: gates.flatMap((g) => g.sets), texts: gates.flatMap((g) => g.texts) };
}

function mapGate(map: readonly FieldCondSpec[], kind: InputKind): GateResult {
  let best: Gate | null = null;
  for (const spec of map) {
    if (spec.field === 'kind' && spec.op === 'eq' && !spec.nocase && spec.transforms.length === 0 && !spec.values.includes(kind)) return NEVER;
    best = better(best, specGate(spec));
  }
  return best;
}

function selectionGate(sel: SelectionDef, kind: InputKind): GateResult {
  return union(sel.alternatives.map((m) => mapGate(m, kind)));
}

function exprGate(e: CondExpr, sels: readonly GateResult[]): GateResult {
  switch (e.t) {
    case 'const':
      return e.value ? null : NEVER;
    case 'ref':
      return sels[e.index] ?? null;
    case 'not':
      return null;
    case 'or':
      return union(e.items.map((i) => exprGate(i, sels)));
    case 'and': {
      let best: Gate | null = null;
      for (const i of e.items) {
        const g = exprGate(i, sels);
        if (g === NEVER) return NEVER;
        best = better(best, g);
      }
      return best;
    }
  }
}

/** The gate of a rule for inputs of `kind`. */
export function ruleGate(rule: CompiledRule, kind: InputKind): GateResult {
  const def = rule.def;
  const sels = def.selections.map((s) => selectionGate(s, kind));
  const cond = def.condition === null ? null : exprGate(def.condition, sels);
  if (cond === NEVER) return NEVER;
  if (def.sequence === null) return cond;
  // a sequence input matters only when it satisfies some step
  const steps = union(def.sequence.steps.map((s) => exprGate(s.condition, sels)));
  if (steps === NEVER) return NEVER;
  return better(cond, steps);
}
