/**
 * The shape of a rule document (ttp.md §2) as zod schemas, and the mapping of zod's issues
 * to §3.2 problem codes — zod issues are never shown raw. The schemas check types, required
 * fields and unknown keys only; value constraints (ids, durations, ranges, the catalogue)
 * are checked in lint/ with their own codes and hints.
 */
import { z } from 'zod';
import { closest, type PathSegment, type ProblemCode } from './problems.js';

const duration = z.union([z.string(), z.number()]);

const aggregateSchema = z.strictObject({
  function: z.string(),
  field: z.string().optional(),
  by: z.array(z.string()),
  window: duration,
  gte: z.number().optional(),
  gt: z.number().optional(),
});

const sequenceSchema = z.strictObject({
  by: z.array(z.string()),
  within: duration,
  steps: z.array(z.strictObject({ condition: z.string(), times: z.int().optional() })),
});

const suppressSchema = z.strictObject({ window: duration, by: z.array(z.string()).optional() });

const scaleSchema = z.strictObject({
  by: z.string(),
  steps: z.array(z.strictObject({ gte: z.number(), confidence: z.number() })).optional(),
  ratio: z.number().optional(),
});

const emitSchema = z.strictObject({
  technique: z.string(),
  tactic: z.string(),
  confidence: z.number(),
  when: z.string().optional(),
  confidence_scale: scaleSchema.optional(),
});

const expectSchema = z.union([z.array(z.string()), z.strictObject({ techniques: z.array(z.string()), count: z.int().optional(), max_confidence: z.number().optional() })]);

const testSchema = z.strictObject({
  name: z.string(),
  input: z.record(z.string(), z.unknown()).optional(),
  inputs: z.array(z.record(z.string(), z.unknown())).optional(),
  expect: expectSchema,
});

export const ruleDocSchema = z.strictObject({
  id: z.string(),
  version: z.int(),
  name: z.string(),
  title: z.string(),
  status: z.string(),
  pending: z.string().optional(),
  replaced_by: z.string().optional(),
  description: z.string(),
  inputs: z.array(z.string()),
  detection: z.record(z.string(), z.unknown()),
  aggregate: aggregateSchema.optional(),
  sequence: sequenceSchema.optional(),
  suppress: z.union([z.literal(false), suppressSchema]).optional(),
  emits: z.array(emitSchema),
  evidence_fields: z.array(z.string()).optional(),
  tests: z.array(testSchema).optional(),
  references: z.array(z.string()).optional(),
});

export type RuleDoc = z.infer<typeof ruleDocSchema>;
export type AggregateDoc = z.infer<typeof aggregateSchema>;
export type SequenceDoc = z.infer<typeof sequenceSchema>;
export type SuppressDoc = z.infer<typeof suppressSchema>;
export type EmitDoc = z.infer<typeof emitSchema>;
export type ScaleDoc = z.infer<typeof scaleSchema>;
export type TestDoc = z.infer<typeof testSchema>;
export type ExpectDoc = z.infer<typeof expectSchema>;

const KEYS = {
  top: Object.keys(ruleDocSchema.shape),
  aggregate: Object.keys(aggregateSchema.shape),
  sequence: Object.keys(sequenceSchema.shape),
  step: ['condition', 'times'],
  suppress: Object.keys(suppressSchema.shape),
  emit: Object.keys(emitSchema.shape),
  scale: Object.keys(scaleSchema.shape),
  scaleStep: ['gte', 'confidence'],
  test: Object.keys(testSchema.shape),
  expect: ['techniques', 'count', 'max_confidence'],
};

/** Known keys of the mapping at `path`. */
function knownKeysAt(path: readonly PathSegment[]): readonly string[] {
  const [a, , c, d] = path;
  if (path.length === 0) return KEYS.top;
  if (a === 'aggregate') return KEYS.aggregate;
  if (a === 'suppress') return KEYS.suppress;
  if (a === 'sequence') return path.length >= 3 ? KEYS.step : KEYS.sequence;
  if (a === 'emits') return c === 'confidence_scale' ? (d === 'steps' ? KEYS.scaleStep : KEYS.scale) : KEYS.emit;
  if (a === 'tests') return c === 'expect' ? KEYS.expect : KEYS.test;
  return [];
}

/** Names the reference (or Sigma habit) used, with what to write instead (§3.2). */
const RENAMES: Readonly<Record<string, string>> = {
  applies_to: 'inputs',
  rule_id: 'id',
  rule_version: 'version',
  match: 'detection',
  technique_id: 'technique',
  sub_technique_id: 'technique',
  tactic_id: 'tactic',
  level: 'emits[].confidence',
  severity: 'emits[].confidence',
  logsource: 'inputs',
  author: 'description',
  test: 'tests',
  expected: 'expect',
  threshold: 'gte',
  timeframe: 'window',
  group_by: 'by',
};

export interface MappedIssue {
  readonly code: ProblemCode;
  readonly path: readonly PathSegment[];
  readonly message: string;
  readonly hint: string;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function typeHint(expected: string, input: unknown): string {
  if (expected === 'string' && (typeof input === 'number' || typeof input === 'boolean' || input === null)) return `quote it: \`'${String(input)}'\``;
  if ((expected === 'number' || expected === 'int') && typeof input === 'string' && input.trim() !== '' && !Number.isNaN(Number(input))) return `write \`${Number(input)}\` without quotes`;
  if (expected === 'int') return 'write a whole number';
  if (expected === 'array') return 'write a list: `[a, b]`';
  if (expected === 'object' || expected === 'record') return 'write a mapping';
  return `write a ${expected}`;
}

type Issue = z.core.$ZodIssue;

function mapIssue(issue: Issue, base: readonly PathSegment[], out: MappedIssue[]): void {
  const path = [...base, ...(issue.path as PathSegment[])];
  const last = path[path.length - 1];
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys':
      for (const key of issue.keys) {
        const rename = RENAMES[key];
        const near = closest(key, knownKeysAt(path));
        out.push({ code: 'unknown_field', path: [...path, key], message: `unknown \`${key}\``, hint: rename ? `use \`${rename}\`` : near ? `use \`${near}\`` : `known fields here: ${knownKeysAt(path).join(', ')}` });
      }
      return;
    case 'invalid_type':
      if (input === undefined) {
        out.push({ code: 'missing_field', path, message: `\`${String(last ?? 'value')}\` is required`, hint: `add \`${String(last)}:\`` });
        return;
      }
      out.push({ code: 'wrong_type', path, message: `\`${String(last)}\` must be ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}, got ${describe(input)}`, hint: typeHint(issue.expected, input) });
      return;
    case 'invalid_union': {
      // a union fails as a whole; report the branch that matched structurally, if one did
      const deep = issue.errors.find((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
      if (deep) {
        for (const i of deep) mapIssue(i, path, out);
        return;
      }
      out.push({ code: 'wrong_type', path, message: `\`${String(last)}\` has the wrong shape, got ${describe(input)}`, hint: last === 'expect' ? 'write a list of techniques, or `{techniques: [...], count: N}`' : last === 'suppress' ? 'write `{window: 1h}` or `false`' : 'see docs/rules.md for its shape' });
      return;
    }
    default:
      out.push({ code: 'wrong_type', path, message: `\`${String(last)}\` is not valid (${describe(input)})`, hint: 'see docs/rules.md for its shape' });
  }
}

/** Parses a document against the shape; on failure, the §3.2 problems. */
export function parseRuleDoc(value: unknown): { doc: RuleDoc | null; issues: MappedIssue[] } {
  const r = ruleDocSchema.safeParse(value, { reportInput: true });
  if (r.success) return { doc: r.data, issues: [] };
  const issues: MappedIssue[] = [];
  for (const i of r.error.issues) mapIssue(i, [], issues);
  return { doc: null, issues };
}
