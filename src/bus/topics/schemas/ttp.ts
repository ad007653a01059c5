/**
 * `ttp.*` payloads (ttp.md §7). Every `ttp.*` event is journaled. Topic tokens hold the
 * parent technique and the rule id; sub-techniques travel in the payload.
 */
import { z } from 'zod';
import { TTP_RULE_SUPPRESSED, TTP_TAGGED } from '../constants.js';
import { datetime, openPayload, strings, uuid, uuids, type PayloadTypes } from './common.js';

export const RULE_SOURCES = ['builtin', 'filesystem', 'database'] as const;
export const RULE_STATES = ['enabled', 'disabled', 'clipped'] as const;

const source = z.enum(RULE_SOURCES);
const version = z.int().positive();
/** Who the tags are about; null when unknown (linked later, ttp.md §1.6). */
const subject = { attacker_ip: z.string().nullable(), attacker_uuid: uuid.nullable(), identity_uuid: uuid.nullable(), session_id: z.string().nullable() };

export const ttpSchemas = {
  /** Only when new tag rows were inserted: the loop-prevention invariant. */
  [TTP_TAGGED]: z.looseObject({ ...subject, tag_uuids: uuids, techniques_added: strings, rule_ids: strings, count: z.int().positive() }),
  /** Reserved: never produced. */
  [TTP_RULE_SUPPRESSED]: openPayload,
};
export type TtpPayloads = PayloadTypes<typeof ttpSchemas>;

export const ttpRuleFiredSchema = z.looseObject({
  technique_id: z.string(),
  sub_technique_ids: strings,
  tactic_ids: strings,
  tag_uuids: uuids,
  rule_ids: strings,
  ...subject,
  max_confidence: z.number(),
});
export type TtpRuleFiredPayload = z.infer<typeof ttpRuleFiredSchema>;

const previous = { previous_version: version.nullable(), previous_source: source.nullable() };
const problem = z.looseObject({ code: z.string(), line: z.int().nullable(), path: z.string(), message: z.string() });

export const ttpRuleReloadedSchema = z.discriminatedUnion('outcome', [
  z.looseObject({ rule_id: z.string(), rule_version: version, outcome: z.literal('applied'), source, content_sha256: z.string(), ...previous, instance: z.string() }),
  /** The running version (if any) keeps firing. */
  z.looseObject({
    rule_id: z.string(),
    rule_version: version.nullable(),
    outcome: z.literal('rejected'),
    source,
    problems: z.array(problem).max(20),
    running_version: version.nullable(),
    running_source: source.nullable(),
    instance: z.string(),
  }),
  z.looseObject({ rule_id: z.string(), deleted: z.literal(true), outcome: z.literal('removed'), ...previous, instance: z.string() }),
]);
export type TtpRuleReloadedPayload = z.infer<typeof ttpRuleReloadedSchema>;

/** An operator's setting, or an automatic revert (`auto_revert`, `set_by: "system"`). */
export const ttpRuleStateSchema = z.looseObject({
  rule_id: z.string(),
  state: z.enum(RULE_STATES),
  previous_state: z.enum(RULE_STATES),
  auto_revert: z.boolean(),
  set_by: z.string(),
  set_at: datetime,
  confidence_max: z.number().min(0.3).max(1).nullable().optional(),
  expires_at: datetime.nullable().optional(),
  reason: z.string().nullable().optional(),
});
export type TtpRuleStatePayload = z.infer<typeof ttpRuleStateSchema>;
