/**
 * The events of a batch's new tags (ttp.md §7.1–§7.2): one `ttp.tagged` per subject group
 * `(attacker_ip, attacker_uuid, identity_uuid, session_id)`, split above 500 tag ids, each
 * followed by one `ttp.rule.fired.<parent>` per parent technique of that group. Only new
 * tags come in (the ids `ON CONFLICT DO NOTHING` returned), so a replay yields nothing.
 */
import { topics } from '../../bus/index.js';
import type { NewTtpTag } from '../../db/index.js';

const MAX_IDS = 500;

export interface TtpEvent {
  readonly topic: string;
  readonly payload: Record<string, unknown>;
}

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

function subjectKey(t: NewTtpTag): string {
  return JSON.stringify([t.attacker_ip, t.attacker_uuid, t.identity_uuid, t.session_id]);
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function firedFor(parent: string, tags: readonly NewTtpTag[], subject: Pick<NewTtpTag, 'attacker_ip' | 'attacker_uuid' | 'identity_uuid' | 'session_id'>): topics.TtpRuleFiredPayload {
  return {
    technique_id: parent,
    sub_technique_ids: sorted(tags.flatMap((t) => (t.sub_technique_id === null ? [] : [t.sub_technique_id]))),
    tactic_ids: sorted(tags.map((t) => t.tactic_id)),
    tag_uuids: tags.map((t) => t.id),
    rule_ids: sorted(tags.map((t) => t.rule_id)),
    attacker_ip: subject.attacker_ip,
    attacker_uuid: subject.attacker_uuid,
    identity_uuid: subject.identity_uuid,
    session_id: subject.session_id,
    max_confidence: Math.max(...tags.map((t) => t.confidence)),
  };
}

/** The events for `fresh` (new tags, in insert order), in publish order. */
export function eventsForNewTags(fresh: readonly NewTtpTag[]): TtpEvent[] {
  const groups = new Map<string, NewTtpTag[]>();
  for (const t of fresh) {
    const k = subjectKey(t);
    const g = groups.get(k);
    if (g) g.push(t);
    else groups.set(k, [t]);
  }
  const out: TtpEvent[] = [];
  for (const group of groups.values()) {
    for (const part of chunks(group, MAX_IDS)) {
      const first = part[0] as NewTtpTag;
      const subject = { attacker_ip: first.attacker_ip, attacker_uuid: first.attacker_uuid, identity_uuid: first.identity_uuid, session_id: first.session_id };
      out.push({
        topic: topics.ttp('tagged'),
        payload: { ...subject, tag_uuids: part.map((t) => t.id), techniques_added: sorted(part.map((t) => t.sub_technique_id ?? t.technique_id)), rule_ids: sorted(part.map((t) => t.rule_id)), count: part.length },
      });
      const byParent = new Map<string, NewTtpTag[]>();
      for (const t of part) {
        const list = byParent.get(t.technique_id);
        if (list) list.push(t);
        else byParent.set(t.technique_id, [t]);
      }
      for (const [parent, tags] of [...byParent].sort(([a], [b]) => (a < b ? -1 : 1))) out.push({ topic: topics.ttpRuleFired(parent), payload: firedFor(parent, tags, subject) });
    }
  }
  return out;
}
