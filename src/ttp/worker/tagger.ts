/**
 * Inputs → tag rows: evaluate each input in order through the engine, then give every
 * tag that names an address but no attacker the attacker id known for it (§1.6). The
 * lookup runs once per address per batch, after evaluation, so the engine stays pure.
 */
import type { NewTtpTag } from '../../db/index.js';
import type { Engine } from '../engine/engine.js';
import type { Tag } from '../engine/tags.js';
import type { Input } from '../inputs/index.js';
import type { AttackerLookup } from './attacker-lookup.js';

function toRow(t: Tag, attackerUuid: string | null): NewTtpTag {
  return {
    id: t.id,
    rule_id: t.rule_id,
    rule_version: t.rule_version,
    rule_source: t.rule_source,
    technique_id: t.technique_id,
    sub_technique_id: t.sub_technique_id,
    tactic_id: t.tactic_id,
    confidence: t.confidence,
    input_kind: t.input_kind,
    input_id: t.input_id,
    group_key: t.group_key,
    attacker_ip: t.attacker_ip,
    attacker_uuid: attackerUuid,
    identity_uuid: t.identity_uuid,
    session_id: t.session_id,
    decky: t.decky,
    service: t.service,
    evidence: t.evidence,
    attack_version: t.attack_version,
    observed_at: t.observed_at,
  };
}

export async function tagInputs(engine: Engine, inputs: readonly Input[], lookup: AttackerLookup | null): Promise<NewTtpTag[]> {
  const tags: Tag[] = [];
  for (const input of inputs) for (const t of engine.evaluate(input)) tags.push(t);
  const ids = new Map<string, string | null>();
  if (lookup) for (const t of tags) if (t.attacker_uuid === null && t.attacker_ip !== null && !ids.has(t.attacker_ip)) ids.set(t.attacker_ip, await lookup.idOf(t.attacker_ip));
  return tags.map((t) => toRow(t, t.attacker_uuid ?? (t.attacker_ip === null ? null : (ids.get(t.attacker_ip) ?? null))));
}
