/** RuleSummary, RuleDetail and the validate route's answer (ttp.md §8.1–§8.2). */
import type { ApiValidation } from './rule-validation.js';
import { emitSummaries, type RuleEntry } from './rule-view.js';
import type { RuleDetail, RuleSummary, Setting, ValidationReply } from './schemas.js';

export function ruleSummary(e: RuleEntry, state: Setting, tagCount: number): RuleSummary {
  return {
    id: e.id,
    version: e.version,
    name: e.name,
    title: e.title,
    status: e.status,
    pending: e.pending,
    source: e.source,
    content_sha256: e.content_sha256,
    inputs: [...e.inputs],
    emits: e.emits as RuleSummary['emits'],
    state,
    last_error: e.last_error as RuleSummary['last_error'],
    loaded_at: e.loaded_at,
    tag_count: tagCount,
  };
}

export function ruleDetail(e: RuleEntry, state: Setting, tagCount: number): RuleDetail {
  return {
    ...ruleSummary(e, state, tagCount),
    description: e.description,
    yaml: e.yaml,
    evidence_fields: [...e.evidence_fields],
    test_count: e.test_count,
    candidates: e.candidates as RuleDetail['candidates'],
  };
}

export function validationReply(v: ApiValidation): ValidationReply {
  const def = v.rule?.def;
  const results = (v.tests ?? []) as ValidationReply['tests']['results'];
  return {
    valid: v.valid,
    rule: def
      ? { id: def.id, version: def.version, name: def.name, title: def.title, status: def.status, inputs: [...def.inputs], emits: emitSummaries(def), content_sha256: def.contentSha256 }
      : null,
    problems: [...v.problems],
    tests: { passed: results.filter((r) => r.passed).length, failed: results.filter((r) => !r.passed).length, results },
  };
}
