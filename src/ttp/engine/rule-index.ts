/**
 * The immutable rule index (ttp.md §4.2): kind → compiled rules sorted by id (so output
 * order is stable), each with its operational state. Deprecated rules and rules disabled
 * without an expiry are left out; a rule disabled until a time stays in and is skipped
 * until the clock passes it; a clip whose expiry has passed is ignored. A reload builds a
 * new index and `swap`s it in.
 */
import type { InputKind } from '../inputs/kinds.js';
import type { CompiledRule } from '../rule.js';
import type { Input } from '../inputs/input.js';
import { foldForPrefilter } from '../regex/index.js';
import { NEVER, ruleGate, type Gate, type TextAtom } from './gates.js';

/** A one-entry memo of the folded copy: the rules of one input share it. */
let lastText: string | undefined;
let lastFolded = '';
function folded(s: string): string {
  if (s !== lastText) {
    lastText = s;
    lastFolded = foldForPrefilter(s);
  }
  return lastFolded;
}

function hasLiteral(raw: unknown, a: TextAtom): boolean {
  if (typeof raw !== 'string') return false;
  const t = a.fold ? folded(raw) : raw;
  for (const l of a.literals) if (t.includes(l)) return true;
  return false;
}

function textTest(atoms: readonly TextAtom[]): (input: Input) => boolean {
  return (input) => {
    for (const a of atoms) {
      const v = input[a.field];
      if (Array.isArray(v)) {
        for (const el of v) if (hasLiteral(el, a)) return true;
      } else if (hasLiteral(v, a)) return true;
    }
    return false;
  };
}

/** An operator's setting for a rule id (§5.4); no setting means enabled. */
export interface RuleSetting {
  readonly state: 'enabled' | 'disabled' | 'clipped';
  /** For `clipped`: the cap, 0.3–1. */
  readonly confidence_max?: number | null;
  /** Epoch ms; null or absent means until changed. */
  readonly expires_at?: number | null;
}

export interface IndexedRule {
  readonly rule: CompiledRule;
  readonly setting: RuleSetting | null;
}

/** How one kind's inputs are evaluated: its rules in order, their gates, and value → rules lookups. */
export interface KindPlan {
  readonly rules: readonly IndexedRule[];
  /** Per rule, its gate for this kind (null: always evaluated). */
  readonly gates: readonly (Gate | null)[];
  /** Per rule, a test of its text atoms (null when it has none). */
  readonly textGates: readonly (((input: Input) => boolean) | null)[];
  /** Some rule has an operational setting (the clock is read only then). */
  readonly hasSettings: boolean;
  /** Per gated field, value → positions in `rules`. */
  readonly lookups: readonly { readonly field: string; readonly byValue: ReadonlyMap<unknown, readonly number[]> }[];
}

export interface RuleIndex {
  readonly byKind: ReadonlyMap<InputKind, readonly IndexedRule[]>;
  readonly plans: ReadonlyMap<InputKind, KindPlan>;
  /** Every indexed rule, sorted by id. */
  readonly rules: readonly IndexedRule[];
  /** The largest selection count, for the engine's memo array. */
  readonly maxSelections: number;
}

export function buildIndex(rules: readonly CompiledRule[], settings: ReadonlyMap<string, RuleSetting> = new Map()): RuleIndex {
  const kept: IndexedRule[] = [];
  const seen = new Set<string>();
  for (const rule of [...rules].sort((a, b) => (a.def.id < b.def.id ? -1 : a.def.id > b.def.id ? 1 : 0))) {
    if (rule.def.status === 'deprecated') continue;
    if (seen.has(rule.def.id)) throw new Error(`rule ${rule.def.id} is in the index twice`);
    seen.add(rule.def.id);
    const setting = settings.get(rule.def.id) ?? null;
    if (setting?.state === 'disabled' && (setting.expires_at === undefined || setting.expires_at === null)) continue;
    kept.push({ rule, setting });
  }
  const byKind = new Map<InputKind, IndexedRule[]>();
  for (const ir of kept) {
    for (const k of ir.rule.def.inputs) {
      const list = byKind.get(k) ?? [];
      list.push(ir);
      byKind.set(k, list);
    }
  }
  const plans = new Map<InputKind, KindPlan>();
  for (const [kind, list] of byKind) plans.set(kind, planFor(kind, list));
  const maxSelections = kept.reduce((m, ir) => Math.max(m, ir.rule.selections.length), 0);
  return Object.freeze({ byKind, plans, rules: Object.freeze(kept), maxSelections });
}

function planFor(kind: InputKind, all: readonly IndexedRule[]): KindPlan {
  const rules: IndexedRule[] = [];
  const gates: (Gate | null)[] = [];
  for (const ir of all) {
    const g = ruleGate(ir.rule, kind);
    if (g === NEVER) continue;
    rules.push(ir);
    gates.push(g);
  }
  const fields = new Map<string, Map<unknown, number[]>>();
  gates.forEach((g, i) => {
    for (const atom of g?.sets ?? []) {
      const byValue = fields.get(atom.field) ?? new Map<unknown, number[]>();
      fields.set(atom.field, byValue);
      for (const v of atom.values) if (!(byValue.get(v) ?? []).includes(i)) byValue.set(v, [...(byValue.get(v) ?? []), i]);
    }
  });
  return { rules, gates, hasSettings: rules.some((r) => r.setting !== null), textGates: gates.map((g) => (g === null || g.texts.length === 0 ? null : textTest(g.texts))), lookups: [...fields].map(([field, byValue]) => ({ field, byValue })) };
}

export const EMPTY_INDEX: RuleIndex = buildIndex([]);
