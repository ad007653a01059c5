/**
 * Validating a rule text in the API (ttp.md §3, §8.2). A proof can take seconds, so the API
 * only uses cached verdicts: a pattern without one makes the definition invalid here, with
 * a `redos_unproven` problem saying how to prove it (the CLI caches what it proves).
 */
import { hasErrors, recallCasesFor, regexSafetyFor, validateRule, type Catalog, type Problem, type RegexSafety, type RuleSourceKind, type ValidationResult } from '../../../ttp/index.js';
import { parseRuleYaml } from '../../../ttp/yaml-source.js';

export interface ApiValidation extends ValidationResult {
  /** No error and no pattern waiting for a proof. */
  readonly valid: boolean;
}

/** A fresh view of the verdict caches: the pack's file and `$DECNET_HOME/cache/` (the CLI may have proved patterns since). */
export function cachedRegexSafety(home: string): RegexSafety {
  return regexSafetyFor({ DECNET_HOME: home });
}

/** Adds a `redos_unproven` problem for each pattern still waiting for its proof. */
export function withUnproven(result: ValidationResult, text: string, file: string | null): ApiValidation {
  if (result.pending.length === 0) return { ...result, valid: result.rule !== null && !hasErrors(result.problems) };
  const locate = parseRuleYaml(text, file).source?.locate;
  const unproven = result.pending.map((p): Problem => {
    const at = locate?.(p.path) ?? null;
    return {
      code: 'redos_unproven',
      severity: 'error',
      file,
      line: at?.line ?? null,
      column: at?.column ?? null,
      rule_id: result.ruleId,
      path: p.path.map(String).join('.'),
      message: `no cached proof that /${p.pattern}/${p.flags} is safe (the API does not run proofs, which can take seconds)`,
      hint: 'prove it with `decnet ttp lint FILE` (it caches the verdict), then send the rule again',
    };
  });
  return { ...result, rule: null, problems: [...result.problems, ...unproven], valid: false };
}

export interface ValidateTextOptions {
  readonly catalog: Catalog;
  readonly regex: RegexSafety;
  readonly source: RuleSourceKind;
  readonly previous?: { readonly version: number; readonly contentSha256: string } | null;
}

/** The one validator, with cached proofs only. */
export async function validateText(text: string, opts: ValidateTextOptions): Promise<ApiValidation> {
  const result = await validateRule(text, { catalog: opts.catalog, regex: opts.regex, source: opts.source, proofs: 'cached', recallCases: recallCasesFor, previous: opts.previous ?? null });
  return withUnproven(result, text, null);
}

