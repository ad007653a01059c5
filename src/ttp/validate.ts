/**
 * The one validator (ttp.md §3): YAML → shape (zod) → header, detection, blocks, emits
 * against the catalogue, tests → regex proofs → compile → in-file tests. It serves the
 * stores, the API's validate route and `decnet ttp lint|test`. Any error makes the
 * definition invalid (`rule` is null); warnings never do.
 *
 * Proofs are the only asynchronous part. With `proofs: 'cached'` a pattern without a cached
 * verdict makes the result `pending` instead of waiting (a store keeps the running
 * version meanwhile, §5.3).
 */
import { createHash } from 'node:crypto';
import type { Catalog } from './catalog/index.js';
import { compileRule } from './compile.js';
import { canonicalJson } from './inputs/ids.js';
import { checkAggregate, checkSequence, checkSuppress } from './lint/blocks.js';
import { checkCondition, checkDetection, type PatternRef } from './lint/detection.js';
import { checkEmits } from './lint/emits.js';
import { checkHeader, checkProducers } from './lint/header.js';
import { checkTestFloor, checkTests, missingCases, type RecallCase } from './lint/tests.js';
import { hasErrors, type Problem, type ProblemList } from './problems.js';
import type { RegexSafety } from './regex/index.js';
import { parseRuleDoc, type RuleDoc } from './rule-schema.js';
import type { CompiledRule, RuleDefinition, RuleSourceKind } from './rule.js';
import { runRuleTests, type TestResult } from './testing.js';
import { parseRuleYaml } from './yaml-source.js';

export interface ValidateOptions {
  readonly catalog: Catalog;
  readonly regex: RegexSafety;
  /** Where the text came from: `builtin` allows `R####` ids without a warning. */
  readonly source?: RuleSourceKind;
  readonly file?: string | null;
  /** `await` (default) runs missing proofs; `cached` reports them as pending. */
  readonly proofs?: 'await' | 'cached';
  /** Run the in-file tests (default true). */
  readonly runTests?: boolean;
  /** The previous valid definition of this id, for `version_not_bumped`. */
  readonly previous?: { readonly version: number; readonly contentSha256: string } | null;
  /** Recall cases the rule's tests must hold (§11.3), by rule id. */
  readonly recallCases?: (ruleId: string) => readonly RecallCase[];
}

export interface ValidationResult {
  readonly ruleId: string | null;
  /** The compiled rule when there is no error (and no pending proof). */
  readonly rule: CompiledRule | null;
  readonly problems: readonly Problem[];
  /** Null when the tests did not run (invalid before them, or `runTests: false`). */
  readonly tests: readonly TestResult[] | null;
  /** Patterns waiting for a proof (`proofs: 'cached'` only). */
  readonly pending: readonly PatternRef[];
  readonly contentSha256: string;
  readonly status: string | null;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function signatures(doc: RuleDoc): { state: string; suppress: string } {
  const state = sha256(canonicalJson({ inputs: doc.inputs, detection: doc.detection, aggregate: doc.aggregate ?? null, sequence: doc.sequence ?? null })).slice(0, 16);
  const suppress = sha256(canonicalJson({ suppress: doc.suppress ?? null, aggregate: doc.aggregate?.window ?? null, by: doc.aggregate?.by ?? doc.sequence?.by ?? null, within: doc.sequence?.within ?? null })).slice(0, 16);
  return { state, suppress };
}

interface Checked {
  readonly def: RuleDefinition;
  readonly patterns: readonly PatternRef[];
}

/** Everything synchronous: the typed definition, or null with the problems recorded. */
function check(doc: RuleDoc, text: string, opts: ValidateOptions, problems: ProblemList, locateLine: (p: readonly (string | number)[]) => number | null): Checked | null {
  const header = checkHeader(doc, opts.source ?? 'lint', problems);
  const status = header.status;
  const kinds = header.kinds;
  if (doc.aggregate && doc.sequence) problems.add('aggregate_and_sequence', ['sequence'], 'both `aggregate` and `sequence`', 'a rule counts or orders, not both — split it into two rules');
  const hasAggregate = doc.aggregate !== undefined;
  const det = checkDetection(doc.detection, kinds, hasAggregate, problems);
  const aggregateSel = new Set(det.selections.filter((s) => s.readsAggregate).map((s) => det.names.indexOf(s.name)));
  const used = new Set<number>();
  let condition = null;
  let conditionOk = true;
  if (det.conditionText === null) {
    if (doc.sequence === undefined && !('condition' in doc.detection)) problems.add('missing_field', ['detection', 'condition'], '`detection.condition` is required', 'add `condition: <selection>` (optional only with a `sequence`)');
  } else {
    const c = checkCondition(det.conditionText, ['detection', 'condition'], det.names, problems);
    if (c === null) conditionOk = false;
    else {
      condition = c.expr;
      for (const u of c.used) {
        used.add(u);
        if (aggregateSel.has(u)) problems.add('aggregate_in_condition', ['detection', 'condition'], '`aggregate.value` only in `when` and `confidence_scale`', 'reference the selection from an emit’s `when`');
      }
    }
  }
  const aggregate = doc.aggregate ? checkAggregate(doc.aggregate, kinds, problems) : null;
  const sequence = doc.sequence ? checkSequence(doc.sequence, kinds, det.names, aggregateSel, problems, used) : null;
  const suppress = checkSuppress(doc.suppress, kinds, problems);
  const emits = status === null ? null : checkEmits(doc.emits, status, kinds, hasAggregate, det.names, opts.catalog, problems, used);
  det.names.forEach((name, i) => {
    if (conditionOk && !used.has(i)) problems.add('unused_selection', ['detection', name], `selection \`${name}\` is never used`, 'reference it in `condition`, a sequence step or a `when`, or remove it');
  });
  checkProducers(status, kinds, det.reservedFields, problems);
  if (status !== null) {
    const heavy = det.regexCount >= 3 || det.maxAlternation >= 5;
    checkTestFloor(doc.tests, status, heavy, problems);
    const cases = (opts.recallCases?.(doc.id) ?? []).filter((c) => c.fire);
    for (const c of missingCases(doc.tests, cases)) problems.add('tests_missing', ['tests'], `no must-fire test for the recall case ${c.name ? `“${c.name}”` : JSON.stringify(c.match)}`, 'add it as a test (ttp.md §11.3 lists the cases)', status === 'stable' ? 'error' : 'warning');
  }
  const emitted = new Set((emits ?? []).map((e) => e.technique));
  const tests = checkTests(doc.tests ?? [], doc.id, kinds, emitted, problems, locateLine);
  const contentSha256 = sha256(text);
  if (opts.previous && opts.previous.version === doc.version && opts.previous.contentSha256 !== contentSha256) problems.add('version_not_bumped', ['version'], `the definition changed but \`version\` is still ${doc.version}`, `write \`version: ${doc.version + 1}\``);
  if (hasErrors(problems.items) || status === null || emits === null || tests === null || !suppress.ok) return null;
  if ((doc.aggregate && aggregate === null) || (doc.sequence && sequence === null)) return null;
  const sig = signatures(doc);
  return {
    patterns: det.patterns,
    def: {
      id: doc.id,
      version: doc.version,
      name: doc.name,
      title: doc.title,
      status,
      pending: doc.pending ?? null,
      replacedBy: doc.replaced_by ?? null,
      description: doc.description,
      inputs: kinds,
      selections: det.selections,
      condition,
      aggregate,
      sequence,
      suppress: suppress.def ?? (aggregate ? { windowMs: aggregate.windowMs, by: null } : sequence ? { windowMs: sequence.withinMs, by: null } : false),
      emits,
      evidenceFields: doc.evidence_fields ?? [],
      tests,
      references: doc.references ?? [],
      contentSha256,
      stateSignature: sig.state,
      suppressSignature: sig.suppress,
    },
  };
}

/** Validates one definition's text. Never throws for bad input; problems say what to fix. */
export async function validateRule(text: string, opts: ValidateOptions): Promise<ValidationResult> {
  const file = opts.file ?? null;
  const contentSha256 = sha256(text);
  const { source, problems } = parseRuleYaml(text, file);
  const base = { rule: null, tests: null, pending: [] as PatternRef[], contentSha256 };
  if (source === null) return { ...base, ruleId: null, problems: problems.items, status: null };
  const value = source.value as Record<string, unknown>;
  if (typeof value.id === 'string') problems.ruleId = value.id;
  const status = typeof value.status === 'string' ? value.status : null;
  const { doc, issues } = parseRuleDoc(value);
  if (doc === null) {
    for (const i of issues) problems.add(i.code, i.path, i.message, i.hint);
    return { ...base, ruleId: problems.ruleId, problems: problems.items, status };
  }
  const locateLine = (p: readonly (string | number)[]): number | null => source.locate(p)?.line ?? null;
  const checked = check(doc, text, opts, problems, locateLine);
  if (checked === null) return { ...base, ruleId: doc.id, problems: problems.items, status };

  const pending: PatternRef[] = [];
  for (const p of checked.patterns) {
    if (opts.proofs === 'cached') {
      if (!opts.regex.isCachedSafe(p.pattern, p.flags)) pending.push(p);
      continue;
    }
    const v = await opts.regex.check(p.pattern, p.flags);
    if (v.status === 'vulnerable') problems.add('redos', p.path, `ReDoS-prone (${v.complexity}${v.attack ? `, e.g. ${v.attack}` : ''})`, 'bound the repetition (`\\s{0,4}`), anchor it, or use `contains`');
    else if (v.status === 'unknown') problems.add('redos_unproven', p.path, `not proven safe (${v.reason})`, 'simplify it: fewer nested or adjacent unbounded repetitions');
  }
  if (pending.length > 0 || hasErrors(problems.items)) return { ...base, ruleId: doc.id, problems: problems.items, pending, status };

  const rule = compileRule(checked.def, opts.source ?? 'filesystem');
  if (opts.runTests === false) return { ...base, ruleId: doc.id, rule, problems: problems.items, status };
  const results = runRuleTests(rule);
  for (const r of results) {
    if (r.passed) continue;
    const at = doc.tests?.findIndex((t) => t.name === r.name) ?? -1;
    problems.add('test_failed', at >= 0 ? ['tests', at] : ['tests'], `${r.name}: ${r.message}`, 'fix the rule or the test (a failing test keeps the definition from replacing a working one)');
  }
  const valid = !hasErrors(problems.items);
  return { ...base, ruleId: doc.id, rule: valid ? rule : null, problems: problems.items, tests: results, status };
}
