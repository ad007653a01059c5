/**
 * Tags (ttp.md §4.6) and their evidence (§2.7). A tag is a fact — "this input shows this
 * technique, by this rule" — with a deterministic id: UUIDv5 over
 * `[rule_id, technique, input_id, group_key]`. The rule version is left out so a new
 * version asserting the same fact converges on the same row; the group is in, since
 * regrouping is a new fact. Built only on a fire.
 */
import { isoFromEpochMs } from '../../bus/index.js';
import { ATTACK_VERSION } from '../catalog/version.js';
import type { Input } from '../inputs/input.js';
import { KINDS } from '../inputs/kinds.js';
import type { NewTtpTag } from '../../db/repositories/ttp-types.js';
import type { RuleSourceKind } from '../rule.js';
import { TAG_NAMESPACE, uuidv5 } from './uuid.js';

export interface AggregateEvidence {
  readonly function: string;
  readonly value: number;
  readonly window_s: number;
  readonly first_ts: string;
  sample_input_ids?: readonly string[];
}

export interface SequenceStepEvidence {
  readonly step: number;
  readonly first_ts: string;
  readonly last_ts: string;
  sample_input_ids?: readonly string[];
}

export type Evidence = Record<string, unknown> & {
  matched: readonly string[];
  aggregate?: AggregateEvidence;
  sequence?: { steps: SequenceStepEvidence[] };
  truncated?: true;
};

/**
 * A tag: the row `ttp_tags` stores (its columns are the repository's contract, with the
 * meanings of ttp.md §4.6: `technique_id` the parent, confidence to 4 decimals in [0.3, 1],
 * `group_key` `[]` for single-input rules, `observed_at` the input's time), plus the
 * technique as the emit wrote it, which names the tag in tests and in `decnet ttp eval`.
 */
export interface Tag extends NewTtpTag {
  readonly rule_source: RuleSourceKind;
  /** As written in the emit (`T1003.008`). */
  readonly technique: string;
  readonly evidence: Evidence;
}

export function tagId(ruleId: string, technique: string, inputId: string, groupKey: readonly unknown[]): string {
  return uuidv5(JSON.stringify([ruleId, technique, inputId, groupKey]), TAG_NAMESPACE);
}

const MAX_EVIDENCE_BYTES = 4096;
const FIELD_CHARS = 512;
const TRUNCATED_CHARS = 128;

function cut(v: unknown, max: number): unknown {
  if (typeof v === 'string' && v.length > max) return `${v.slice(0, max)}…`;
  if (Array.isArray(v)) return v.map((x) => cut(x, max));
  return v;
}

/** An upper bound of a value's JSON size in bytes (a character escapes to at most 6). */
function upperBytes(v: unknown): number {
  if (typeof v === 'string') return 6 * v.length + 4;
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + upperBytes(x) + 1, 2);
  if (v !== null && typeof v === 'object') return 6 * JSON.stringify(v).length;
  return 24;
}

export function isoMs(ms: number): string {
  return isoFromEpochMs(ms);
}

/** Evidence of a fire: fields (rule's, then the kind's defaults), selections that held, aggregate or sequence detail; ≤ 4 KiB. */
export function buildEvidence(input: Input, fields: readonly string[], matched: readonly string[], extra: { aggregate?: AggregateEvidence; sequence?: { steps: SequenceStepEvidence[] } }): Evidence {
  const ev: Evidence = { matched };
  let estimate = 64 + matched.length * 40;
  const add = (f: string): void => {
    if (f in ev) return;
    const v = input[f];
    if (v === undefined || v === null) return;
    const c = cut(v, FIELD_CHARS);
    ev[f] = c;
    estimate += f.length + upperBytes(c);
  };
  for (const f of fields) add(f);
  for (const f of KINDS[input.kind].evidenceDefaults) add(f);
  if (extra.aggregate) {
    ev.aggregate = extra.aggregate;
    estimate += 512;
  }
  if (extra.sequence) {
    ev.sequence = extra.sequence;
    estimate += 512 * extra.sequence.steps.length;
  }
  // most evidence is far below the limit: only measure it when the bound says it may not be
  if (estimate <= MAX_EVIDENCE_BYTES || Buffer.byteLength(JSON.stringify(ev)) <= MAX_EVIDENCE_BYTES) return ev;
  // over 4 KiB: samples go first, then strings are cut to 128 characters
  if (ev.aggregate) delete ev.aggregate.sample_input_ids;
  if (ev.sequence) for (const s of ev.sequence.steps) delete s.sample_input_ids;
  if (Buffer.byteLength(JSON.stringify(ev)) <= MAX_EVIDENCE_BYTES) return ev;
  for (const k of Object.keys(ev)) if (k !== 'matched' && k !== 'aggregate' && k !== 'sequence') ev[k] = cut(ev[k], TRUNCATED_CHARS);
  ev.truncated = true;
  while (Buffer.byteLength(JSON.stringify(ev)) > MAX_EVIDENCE_BYTES) {
    const k = Object.keys(ev).find((x) => x !== 'matched' && x !== 'aggregate' && x !== 'sequence' && x !== 'truncated');
    if (k === undefined) break;
    delete ev[k];
  }
  return ev;
}

export const TAG_ATTACK_VERSION = ATTACK_VERSION;

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

export function subjectOf(input: Input): Pick<Tag, 'attacker_ip' | 'attacker_uuid' | 'identity_uuid' | 'session_id' | 'decky' | 'service'> {
  return { attacker_ip: input.attacker_ip ?? null, attacker_uuid: str(input.attacker_uuid), identity_uuid: str(input.identity_uuid), session_id: str(input.session_id), decky: str(input.decky), service: str(input.service) };
}
