/**
 * Running in-file tests (ttp.md §2.8): each test runs the rule alone, enabled, in a fresh
 * engine; `expect` is the exact set of techniques (as written in `emits`) emitted over the
 * test, optionally with the tag count and the highest confidence.
 */
import { buildIndex } from './engine/rule-index.js';
import { TtpEngine } from './engine/engine.js';
import type { Tag } from './engine/tags.js';
import type { CompiledRule, TestDef } from './rule.js';

export interface TestResult {
  readonly name: string;
  readonly line: number | null;
  readonly passed: boolean;
  readonly expected: readonly string[];
  readonly got: readonly string[];
  /** `expected [...], got [...]` (and count / confidence when asked). */
  readonly message: string;
}

function list(xs: readonly string[]): string {
  return `[${xs.join(', ')}]`;
}

/** Runs one test; the tags are returned for callers that show them (`--verbose`). */
export function runRuleTest(rule: CompiledRule, test: TestDef): { result: TestResult; tags: Tag[] } {
  const engine = new TtpEngine(buildIndex([{ ...rule, def: { ...rule.def, status: rule.def.status === 'deprecated' ? 'experimental' : rule.def.status } }]));
  const tags: Tag[] = [];
  for (const input of test.inputs) tags.push(...engine.evaluate(input));
  const got = [...new Set(tags.map((t) => t.technique))].sort();
  const expected = [...new Set(test.expect.techniques)].sort();
  const problems: string[] = [];
  if (got.join('\0') !== expected.join('\0')) problems.push(`expected ${list(expected)}, got ${list(got)}`);
  if (test.expect.count !== null && tags.length !== test.expect.count) problems.push(`expected ${test.expect.count} tags, got ${tags.length}`);
  const max = tags.reduce((m, t) => Math.max(m, t.confidence), 0);
  if (test.expect.maxConfidence !== null && Math.abs(max - test.expect.maxConfidence) > 1e-4) problems.push(`expected max confidence ${test.expect.maxConfidence}, got ${max}`);
  const passed = problems.length === 0;
  return { result: { name: test.name, line: test.line, passed, expected, got, message: passed ? `got ${list(got)}` : problems.join('; ') }, tags };
}

export function runRuleTests(rule: CompiledRule): TestResult[] {
  return rule.def.tests.map((t) => runRuleTest(rule, t).result);
}
