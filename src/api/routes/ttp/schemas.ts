/**
 * The resources of the ATT&CK tagging API (ttp.md §8.1) and the query pieces its routes
 * share. Zod schemas, so the same declarations validate requests and give OpenAPI.
 */
import { z } from 'zod';
import { RULE_SOURCES, RULE_STATES } from '../../../bus/topics/schemas/ttp.js';
import { pageQuery, queryBool, queryTime } from '../paging.js';

const nullableText = z.string().nullable();

/** `T1110` or `T1110.001`. */
export const TECHNIQUE_ID = /^T\d{4}(?:\.\d{3})?$/;
/** A rule id is a topic token (ttp.md §2.1, CORRECTIONS #9.2). */
export const RULE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const techniqueIdParam = z.object({ technique_id: z.string().regex(TECHNIQUE_ID, 'expected a technique id such as T1110 or T1110.001') });
export const ruleIdParam = z.object({ id: z.string().regex(RULE_ID, 'expected a rule id of [A-Za-z0-9_-]{1,64}') });
export const anyIdParam = z.object({ id: z.string().min(1).max(256) });
export const uuidParam = z.object({ uuid: z.string().min(1).max(256) });

/** The filters every tag read takes (§8.2); `attacker_ip` is normalised by the route. */
export const tagScopeQuery = z.object({
  attacker_ip: z.string().max(64).optional(),
  attacker_uuid: z.string().regex(UUID, 'expected a UUID').optional(),
  since: queryTime.optional(),
  until: queryTime.optional(),
  min_confidence: z.coerce.number().min(0).max(1).optional(),
});

export const tagListQuery = pageQuery.extend(tagScopeQuery.shape).extend({
  session_id: z.string().min(1).max(256).optional(),
  technique: z.string().regex(TECHNIQUE_ID, 'expected a technique id such as T1110 or T1110.001').optional().describe('a parent matches its sub-techniques'),
  tactic: z.string().max(64).optional().describe('TA#### or a short name (credential-access)'),
  rule_id: z.string().regex(RULE_ID).optional(),
  evidence: queryBool.optional().describe('include each tag’s evidence'),
});

const tagBase = z.object({
  id: z.string(),
  seq: z.int(),
  rule_id: z.string(),
  rule_version: z.int(),
  rule_source: z.enum(RULE_SOURCES),
  technique_id: z.string(),
  sub_technique_id: nullableText,
  tactic_id: z.string(),
  confidence: z.number(),
  input_kind: z.string(),
  input_id: z.string(),
  group_key: z.array(z.unknown()),
  attacker_ip: nullableText.describe('null only when unknown'),
  attacker_uuid: nullableText.describe('null only when unknown'),
  identity_uuid: nullableText,
  session_id: nullableText,
  decky: nullableText,
  service: nullableText,
  attack_version: z.string(),
  observed_at: z.string(),
  created_at: z.string(),
  technique_name: nullableText.describe('the display name (`<parent>: <name>` for a sub-technique)'),
  tactic_name: nullableText,
  url: nullableText,
});
export const tagSchema = tagBase.extend({ evidence: z.record(z.string(), z.unknown()).optional().describe('with `evidence=1`') });
export const tagWithEvidence = tagBase.extend({ evidence: z.record(z.string(), z.unknown()) });
export type TagResource = z.infer<typeof tagSchema>;

export const techniqueRow = z.object({
  technique_id: z.string(),
  sub_technique_id: nullableText,
  name: z.string(),
  tactic_ids: z.array(z.string()),
  tag_count: z.int(),
  attacker_count: z.int(),
  first_seen: z.string(),
  last_seen: z.string(),
  max_confidence: z.number(),
  rule_ids: z.array(z.string()),
  url: nullableText,
});
export type TechniqueRow = z.infer<typeof techniqueRow>;

export const rollupSchema = z.object({
  scope: z.string(),
  tag_count: z.int(),
  first_seen: nullableText,
  last_seen: nullableText,
  attacker_ips: z.array(z.string()),
  attacker_uuids: z.array(z.string()),
  tactics: z.array(z.object({ tactic_id: z.string(), name: z.string(), technique_count: z.int() })),
  techniques: z.array(techniqueRow),
});
export type Rollup = z.infer<typeof rollupSchema>;

export const timelineEntry = z.object({ observed_at: z.string(), technique_id: z.string(), sub_technique_id: nullableText, rule_id: z.string(), tag_id: z.string() });
export const sessionRollupSchema = rollupSchema.extend({ timeline: z.array(timelineEntry).describe('≤ 500 tags, oldest first') });

export const catalogTechnique = z.object({
  id: z.string(),
  name: z.string(),
  display_name: z.string(),
  is_subtechnique: z.boolean(),
  parent_id: nullableText,
  tactic_ids: z.array(z.string()),
  platforms: z.array(z.string()),
  url: nullableText,
  revoked: z.boolean(),
  deprecated: z.boolean(),
  replaced_by: nullableText,
});
export const catalogTactic = z.object({ id: z.string(), shortname: z.string(), name: z.string(), url: nullableText, order: z.int() });
export const groupSchema = z.object({ id: z.string(), name: z.string(), aliases: z.array(z.string()), url: nullableText });

const ruleSource = z.enum(RULE_SOURCES);
/** A validation problem (ttp.md §3.1). */
const problem = z.object({ code: z.string(), severity: z.enum(['error', 'warning']), file: nullableText, line: z.int().nullable(), column: z.int().nullable(), rule_id: nullableText, path: z.string(), message: z.string(), hint: z.string() });
const emit = z.looseObject({ technique: z.string(), tactic: z.string(), confidence: z.number() });

/** An operator's setting (§5.4); a rule without one is `enabled` with null fields. */
export const settingSchema = z.object({
  rule_id: z.string(),
  state: z.enum(RULE_STATES),
  confidence_max: z.number().nullable(),
  expires_at: nullableText,
  reason: nullableText,
  set_by: nullableText,
  set_at: nullableText,
});
export type Setting = z.infer<typeof settingSchema>;

export const candidateSchema = z.object({
  source: ruleSource,
  version: z.int().nullable(),
  content_sha256: nullableText,
  valid: z.boolean(),
  pending: z.boolean(),
  problems: z.array(z.record(z.string(), z.unknown())),
  path: nullableText,
  seen_at: z.string(),
});

export const ruleSummarySchema = z.object({
  id: z.string(),
  version: z.int().nullable(),
  name: nullableText,
  title: nullableText,
  status: nullableText,
  pending: nullableText,
  source: ruleSource.nullable().describe('the store of the effective definition; null when no store has a valid one'),
  content_sha256: nullableText,
  inputs: z.array(z.string()),
  emits: z.array(emit),
  state: settingSchema,
  last_error: z.object({ source: ruleSource, at: z.string(), problems: z.array(z.record(z.string(), z.unknown())) }).nullable(),
  loaded_at: nullableText,
  tag_count: z.int(),
});
export const ruleDetailSchema = ruleSummarySchema.extend({
  description: nullableText,
  yaml: nullableText.describe('the effective text'),
  evidence_fields: z.array(z.string()),
  test_count: z.int(),
  candidates: z.array(candidateSchema),
});
export type RuleSummary = z.infer<typeof ruleSummarySchema>;
export type RuleDetail = z.infer<typeof ruleDetailSchema>;

export const effectiveSchema = z.object({ source: ruleSource, version: z.int().nullable() }).nullable();

export const ruleBody = z.object({ yaml: z.string() }).describe('or the YAML itself as `application/yaml`');

export const validationSchema = z.object({
  valid: z.boolean(),
  rule: z.object({ id: z.string(), version: z.int(), name: z.string(), title: z.string(), status: z.string(), inputs: z.array(z.string()), emits: z.array(emit), content_sha256: z.string() }).nullable(),
  problems: z.array(problem),
  tests: z.object({
    passed: z.int(),
    failed: z.int(),
    results: z.array(z.object({ name: z.string(), line: z.int().nullable(), passed: z.boolean(), expected: z.array(z.string()), got: z.array(z.string()), message: z.string() })),
  }),
});
export type ValidationReply = z.infer<typeof validationSchema>;
