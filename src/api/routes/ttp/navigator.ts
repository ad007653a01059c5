/**
 * `GET /ttp/export/navigator` (ttp.md §8.3): the tags of a scope as an ATT&CK Navigator
 * layer, one entry per (technique or sub-technique, tactic), scored by tag count, sent as
 * the attachment `decnet-<scope>.json`.
 */
import { z } from 'zod';
import type { TagFilter } from '../../../db/index.js';
import { errorSchema } from '../common.js';
import { attackerScope, queryIp, scopeFilter } from './filters.js';
import { buildLayer, checkedLayer, navigatorLayerSchema, type LayerCell } from './navigator-layer.js';
import { taggedTechnique } from './resources.js';
import type { TtpRoute } from './route.js';
import { tagScopeQuery } from './schemas.js';
import type { TtpServices } from './services.js';

const exportQuery = tagScopeQuery.extend({ session_id: z.string().min(1).max(256).optional() });

/** A file-name-safe token (`::1` → `--1`). */
const token = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '-');

export function registerNavigatorRoute(route: TtpRoute, svc: TtpServices): void {

  /** Per tactic of the scope, its (technique, sub-technique) rows: counts per tactic, as the layer scores them. */
  const cells = async (filter: TagFilter): Promise<LayerCell[]> => {
    const tactics = [...new Set((await svc.tags().techniques(filter)).flatMap((a) => a.tactic_ids))];
    const perTactic = await Promise.all(tactics.map(async (tacticId) => (await svc.tags().techniques({ ...filter, tactic: tacticId })).map((a) => ({ a, tacticId }))));
    return perTactic.flat().map(({ a, tacticId }) => ({ techniqueId: taggedTechnique(a), parentId: a.technique_id, tacticId, tagCount: a.tag_count, ruleIds: a.rule_ids, lastSeen: a.last_seen, maxConfidence: a.max_confidence }));
  };

  route({
    method: 'GET',
    url: '/ttp/export/navigator',
    summary: 'The tags of a scope (attacker by UUID or address, session, period) as an ATT&CK Navigator layer 4.5, as an attachment',
    tag: 'ttp',
    access: 'viewer',
    query: exportQuery,
    responses: { 200: { description: 'the layer (`Content-Disposition: attachment; filename="decnet-<scope>.json"`)', schema: navigatorLayerSchema }, 400: { description: 'bad query', schema: errorSchema } },
    handler: async ({ query, reply }) => {
      const catalog = svc.catalog();
      // an attacker (by UUID, else by address) covers its linked tags and the unlinked ones at its address
      const who = query.attacker_uuid ?? (query.attacker_ip === undefined ? undefined : queryIp(query.attacker_ip));
      const found = who === undefined ? undefined : await attackerScope(svc.ctx.db, who);
      const filter: TagFilter = { ...scopeFilter({ ...query, attacker_uuid: undefined, attacker_ip: undefined }), ...found?.filter };
      const label = found?.attacker?.ip ?? found?.key;
      const [title, scope] = label !== undefined ? [`attacker ${label}`, `attacker-${token(label)}`] : query.session_id !== undefined ? [`session ${query.session_id}`, `session-${token(query.session_id)}`] : ['all attackers', 'all'];
      const summary = await svc.tags().summary(filter);
      const layer = buildLayer({ title, from: (query.since ?? summary.first_seen)?.slice(0, 10) ?? null, to: (query.until ?? summary.last_seen)?.slice(0, 10) ?? null, cells: await cells(filter) }, catalog);
      void reply.header('content-disposition', `attachment; filename="decnet-${scope}.json"`);
      return checkedLayer(layer, catalog);
    },
  });
}
