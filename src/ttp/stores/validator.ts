/**
 * The validation every store uses (ttp.md §3, §5.3): the one validator with the catalogue,
 * regex safety and recall cases bound, in-file tests always run. `cached` proofs report a
 * new pattern as pending instead of waiting; `await` runs the proof and keeps a safe verdict
 * in the writable cache file, so the next start does not prove it again.
 */
import type { Catalog } from '../catalog/index.js';
import type { RecallCase } from '../lint/tests.js';
import { recallCasesFor } from '../recall-cases.js';
import type { RegexSafety } from '../regex/index.js';
import type { RuleSourceKind } from '../rule.js';
import { validateRule, type ValidationResult } from '../validate.js';

export interface ValidationTarget {
  readonly source: RuleSourceKind;
  /** The file, for problem positions; null for database rows and seeds. */
  readonly file: string | null;
}

export interface RuleValidator {
  validate(text: string, target: ValidationTarget, proofs: 'cached' | 'await'): Promise<ValidationResult>;
}

export interface RuleValidatorOptions {
  readonly catalog: Catalog;
  readonly regex: RegexSafety;
  /** Default: the pack's recall cases (§11.3). */
  readonly recallCases?: (ruleId: string) => readonly RecallCase[];
}

export function createRuleValidator(opts: RuleValidatorOptions): RuleValidator {
  const recallCases = opts.recallCases ?? recallCasesFor;
  return {
    async validate(text, target, proofs) {
      const result = await validateRule(text, { catalog: opts.catalog, regex: opts.regex, recallCases, source: target.source, file: target.file, proofs, runTests: true });
      if (proofs === 'await') {
        try {
          opts.regex.cache.save();
        } catch {
          // the verdict stays in memory; the next save writes it
        }
      }
      return result;
    },
  };
}
