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

/** The tag as its row: every column but the emit's spelling of the technique. */
function toRow(t: Tag, attackerUuid: string | null): NewTtpTag {
  const { technique: _asEmitted, ...row } = t;
  return { ...row, attacker_uuid: attackerUuid };
}

export async function tagInputs(engine: Engine, inputs: readonly Input[], lookup: AttackerLookup | null): Promise<NewTtpTag[]> {
  const tags: Tag[] = [];
  for (const input of inputs) for (const t of engine.evaluate(input)) tags.push(t);
  const ids = new Map<string, string | null>();
  if (lookup) for (const t of tags) if (t.attacker_uuid === null && t.attacker_ip !== null && !ids.has(t.attacker_ip)) ids.set(t.attacker_ip, await lookup.idOf(t.attacker_ip));
  return tags.map((t) => toRow(t, t.attacker_uuid ?? (t.attacker_ip === null ? null : (ids.get(t.attacker_ip) ?? null))));
}
