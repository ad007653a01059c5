/**
 * Techniques and the catalogue (ttp.md §8.2, §10.2): the tagged techniques as rows, one
 * catalogue entry, the groups documented as using a technique (not an attribution), and
 * the catalogue itself with MITRE's notice.
 */
import { z } from 'zod';
import { ATTACK_DOMAIN } from '../../../ttp/catalog/index.js';
import type { TechniqueEntry } from '../../../ttp/index.js';
import { notFound } from '../../errors.js';
import { errorSchema } from '../common.js';
import { pageQuery } from '../paging.js';
import { techniqueRows } from './resources.js';
import type { TtpRoute } from './route.js';
import { catalogTactic, catalogTechnique, groupSchema, tagScopeQuery, techniqueIdParam, techniqueRow } from './schemas.js';
import { scopeFilter } from './filters.js';
import type { TtpServices } from './services.js';

const unknownTechnique = { description: 'not in the catalogue', schema: errorSchema };

export function registerTechniqueRoutes(route: TtpRoute, svc: TtpServices): void {
  const entry = (id: string): TechniqueEntry => {
    const t = svc.catalog().technique(id);
    if (!t) throw notFound(`${id} is not in ATT&CK ${svc.catalog().version}`);
    return t;
  };

  route({
    method: 'GET',
    url: '/ttp/techniques',
    summary: 'Tagged techniques, one row per (technique, sub-technique), in the matrix’s tactic order',
    tag: 'ttp',
    access: 'viewer',
    query: pageQuery.extend(tagScopeQuery.shape),
    responses: { 200: { description: 'a page of technique rows', schema: z.object({ techniques: z.array(techniqueRow), total: z.int() }) }, 400: { description: 'bad query', schema: errorSchema } },
    handler: async ({ query }) => {
      const rows = techniqueRows(await svc.tags().techniques(scopeFilter(query)), svc.catalog());
      return { techniques: rows.slice(query.offset, query.offset + query.limit), total: rows.length };
    },
  });

  route({
    method: 'GET',
    url: '/ttp/techniques/:technique_id',
    summary: 'One technique of the catalogue (revoked and deprecated ones too, with their replacement)',
    tag: 'ttp',
    access: 'viewer',
    params: techniqueIdParam,
    responses: { 200: { description: 'the catalogue entry', schema: catalogTechnique }, 400: { description: 'not a technique id', schema: errorSchema }, 404: unknownTechnique },
    handler: async ({ params }) => entry(params.technique_id),
  });

  route({
    method: 'GET',
    url: '/ttp/techniques/:technique_id/groups',
    summary: 'Groups documented as using the technique (a sub-technique’s exclude its parent’s) — not an attribution',
    tag: 'ttp',
    access: 'viewer',
    params: techniqueIdParam,
    responses: { 200: { description: 'the groups, by G id', schema: z.object({ technique_id: z.string(), groups: z.array(groupSchema) }) }, 400: { description: 'not a technique id', schema: errorSchema }, 404: unknownTechnique },
    handler: async ({ params }) => {
      const t = entry(params.technique_id);
      return { technique_id: t.id, groups: svc.catalog().groupsOf(t.id) };
    },
  });

  route({
    method: 'GET',
    url: '/ttp/catalog',
    summary: 'The ATT&CK catalogue: version, techniques, tactics in matrix order, and MITRE’s notice',
    tag: 'ttp',
    access: 'viewer',
    responses: {
      200: {
        description: 'the catalogue',
        schema: z.object({ version: z.string(), domain: z.string(), sha256: z.string().nullable(), techniques: z.array(catalogTechnique), tactics: z.array(catalogTactic), notice: z.string() }),
      },
    },
    handler: async () => {
      const c = svc.catalog();
      const techniques = [...c.techniques()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return { version: c.version, domain: ATTACK_DOMAIN, sha256: c.sha256, techniques, tactics: c.tactics(), notice: c.notice };
    },
  });
}
