/** Shared fixtures for the ttp tests: the catalogue (parsed once per test file), regex safety, rules from YAML. */
import { loadCatalog, memoryRegexSafety, validateRule, type CompiledRule, type ValidateOptions, type ValidationResult } from '../../src/ttp/index.js';
import { packVerdictsFile } from '../../src/ttp/paths.js';
import { recallCasesFor } from '../../src/ttp/recall-cases.js';
import type { RegexSafety } from '../../src/ttp/regex/index.js';

let regex: RegexSafety | null = null;

/** Regex safety backed by the pack's verdicts (new patterns are proven and kept in memory). */
export function regexSafety(): RegexSafety {
  return (regex ??= memoryRegexSafety([packVerdictsFile()]));
}

export function catalog(): ReturnType<typeof loadCatalog> {
  return loadCatalog();
}

export function validate(text: string, opts: Partial<ValidateOptions> = {}): Promise<ValidationResult> {
  return validateRule(text, { catalog: catalog(), regex: regexSafety(), source: 'filesystem', recallCases: recallCasesFor, ...opts });
}

/** Compiles a rule that must validate; the problems are in the error otherwise. */
export async function rule(text: string, opts: Partial<ValidateOptions> = {}): Promise<CompiledRule> {
  const r = await validate(text, { runTests: false, ...opts });
  const errors = r.problems.filter((p) => p.severity === 'error');
  if (r.rule === null || errors.length > 0) throw new Error(`rule does not validate: ${JSON.stringify(r.problems, null, 1)}`);
  return r.rule;
}

/** A minimal experimental rule around a detection block (YAML lines, indented by two). */
export function ruleText(opts: { id?: string; inputs?: string; detection: string; emits?: string; extra?: string; status?: string }): string {
  return [
    `id: ${opts.id ?? 'T_RULE'}`,
    'version: 1',
    'name: test_rule',
    'title: A test rule',
    `status: ${opts.status ?? 'experimental'}`,
    opts.status === 'stable' ? '' : 'pending: needs nothing (test)',
    'description: test',
    `inputs: [${opts.inputs ?? 'command'}]`,
    'detection:',
    opts.detection,
    opts.extra ?? '',
    'emits:',
    opts.emits ?? '  - {technique: T1059, tactic: TA0002, confidence: 0.5}',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n');
}
