/**
 * The attacker API's ATT&CK fields (ttp.md §8.4, CORRECTIONS #7.15): each row of
 * `GET /attackers` gains `technique_ids` (sorted; the sub-technique where tagged) and a
 * profile gains `techniques` (TechniqueRow[] by first_seen). Both count the linked tags and
 * the unlinked ones at the attacker's address, in one grouped query per page.
 */
import { z } from 'zod';
import type { AttackerApiExtension } from '../../../correlate/api-extensions.js';
import { loadCatalog } from '../../../ttp/catalog/index.js';
import { byFirstSeen, taggedTechnique, techniqueRows } from './resources.js';
import { techniqueRow } from './schemas.js';

export const ttpAttackerExtension: AttackerApiExtension = {
  name: 'ttp',
  rowSchema: { technique_ids: z.array(z.string()).describe('ATT&CK techniques tagged, sorted (the sub-technique where tagged)') },
  profileSchema: { techniques: z.array(techniqueRow).describe('ATT&CK techniques tagged, by first_seen') },
  rowFields: async (db, attackers) => {
    if (attackers.length === 0) return new Map();
    const by = await db.repos.ttpTags.techniquesForAttackers(attackers.map((a) => ({ id: a.id, ip: a.ip })));
    return new Map(attackers.map((a) => [a.id, { technique_ids: [...new Set((by.get(a.id) ?? []).map(taggedTechnique))].sort() }]));
  },
  profileFields: async (db, attacker) => {
    const by = await db.repos.ttpTags.techniquesForAttackers([{ id: attacker.id, ip: attacker.ip }]);
    return { techniques: byFirstSeen(techniqueRows(by.get(attacker.id) ?? [], loadCatalog())) };
  },
};
