/**
 * Validation problems (ttp.md §3.1–§3.2). One shape for every consumer — lint, the stores,
 * the API's validate route — so a problem reads the same wherever it surfaces. Codes are
 * the contract (tests assert them); messages and hints are for people.
 */

export type Severity = 'error' | 'warning';

/** Every §3.2 code with its default severity; `tests_missing` is a warning on experimental rules. */
export const PROBLEM_CODES = {
  yaml_syntax: 'error',
  not_a_mapping: 'error',
  multiple_documents: 'error',
  too_large: 'error',
  unknown_field: 'error',
  missing_field: 'error',
  wrong_type: 'error',
  bad_id: 'error',
  reserved_id: 'warning',
  duplicate_rule_id: 'error',
  bad_status: 'error',
  pending_missing: 'error',
  unknown_input: 'error',
  unknown_field_path: 'error',
  bad_group_field: 'error',
  unknown_modifier: 'error',
  modifier_conflict: 'error',
  modifier_order: 'error',
  modifier_value_type: 'error',
  nocase_with_re: 'error',
  all_needs_list: 'error',
  empty_list: 'error',
  bad_cidr: 'error',
  regex_syntax: 'error',
  inline_flags: 'error',
  non_portable_regex: 'error',
  bad_flags: 'error',
  redos: 'error',
  redos_unproven: 'error',
  condition_syntax: 'error',
  unknown_selection: 'error',
  unused_selection: 'warning',
  empty_selection: 'error',
  aggregate_in_condition: 'error',
  bad_duration: 'error',
  bad_threshold: 'error',
  aggregate_field_missing: 'error',
  aggregate_and_sequence: 'error',
  sequence_steps: 'error',
  unknown_technique: 'error',
  revoked_technique: 'error',
  deprecated_technique: 'error',
  unknown_tactic: 'error',
  tactic_mismatch: 'error',
  confidence_range: 'error',
  below_floor: 'error',
  bad_scale: 'error',
  duplicate_emit: 'error',
  unreachable_emit: 'error',
  secret_field: 'error',
  unknown_evidence_field: 'warning',
  tests_missing: 'error',
  test_input_invalid: 'error',
  test_unknown_technique: 'error',
  test_failed: 'error',
  stable_without_producer: 'error',
  can_promote: 'warning',
  version_not_bumped: 'warning',
} as const satisfies Record<string, Severity>;

export type ProblemCode = keyof typeof PROBLEM_CODES;
export const ALL_PROBLEM_CODES = Object.keys(PROBLEM_CODES) as ProblemCode[];

export interface Problem {
  readonly code: ProblemCode;
  readonly severity: Severity;
  /** The file the definition came from, or null (API, database). */
  readonly file: string | null;
  /** 1-based; the key's line for a missing or wrong value. */
  readonly line: number | null;
  readonly column: number | null;
  readonly rule_id: string | null;
  /** Dotted path in the document (`detection.target.command_text|re`, `emits.1.tactic`). */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
  /** What to write instead. */
  readonly hint: string;
}

export type PathSegment = string | number;

export function pathText(path: readonly PathSegment[]): string {
  return path.map(String).join('.');
}

/** `file:line: rule id: path: message — hint` (§3.1). */
export function formatProblem(p: Problem): string {
  const where = `${p.file ?? '<input>'}${p.line !== null ? `:${p.line}` : ''}`;
  const parts = [where, p.rule_id ?? '?', p.path || '(document)'];
  const tail = p.hint ? `${p.message} — ${p.hint}` : p.message;
  const sev = p.severity === 'warning' ? 'warning: ' : '';
  return `${parts.join(': ')}: ${sev}${tail}`;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** Resolves a document path to a source position; supplied by the YAML source. */
export type Locator = (path: readonly PathSegment[]) => { line: number; column: number } | null;

/** Collects problems for one definition, filling in file, rule id and position. */
export class ProblemList {
  readonly items: Problem[] = [];
  ruleId: string | null = null;

  constructor(
    private readonly file: string | null,
    private readonly locate: Locator = () => null,
  ) {}

  add(code: ProblemCode, path: readonly PathSegment[], message: string, hint = '', severity: Severity = PROBLEM_CODES[code]): void {
    const pos = this.locate(path);
    this.items.push({ code, severity, file: this.file, line: pos?.line ?? null, column: pos?.column ?? null, rule_id: this.ruleId, path: pathText(path), message, hint });
  }

  /** Adds a problem found by another component (already positioned), re-labelled with this definition's file and id. */
  adopt(p: Problem): void {
    this.items.push({ ...p, file: p.file ?? this.file, rule_id: p.rule_id ?? this.ruleId });
  }

  get errorCount(): number {
    return this.items.filter((p) => p.severity === 'error').length;
  }
}

/** Levenshtein distance, for "did you mean" hints (short strings only). */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** The closest of `known` to `name`, when it is close enough to be a plausible typo. */
export function closest(name: string, known: Iterable<string>): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}
