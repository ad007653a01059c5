/** `GET /ttp/tags` (filtered, paged, newest first) and `GET /ttp/tags/{id}` with its evidence (ttp.md §8.2). */
import { z } from 'zod';
import { notFound } from '../../errors.js';
import { errorSchema } from '../common.js';
import type { TtpRoute } from './route.js';
import { anyIdParam, tagListQuery, tagSchema, tagWithEvidence } from './schemas.js';
import { attackerRefs, toTag } from './resources.js';
import { queryTactic, scopeFilter } from './filters.js';
import type { TtpServices } from './services.js';

export function registerTagRoutes(route: TtpRoute, svc: TtpServices): void {
  route({
    method: 'GET',
    url: '/ttp/tags',
    summary: 'ATT&CK tags, newest first (a parent technique matches its sub-techniques)',
    tag: 'ttp',
    access: 'viewer',
    query: tagListQuery,
    responses: { 200: { description: 'a page of tags', schema: z.object({ tags: z.array(tagSchema), total: z.int() }) }, 400: { description: 'bad query', schema: errorSchema } },
    handler: async ({ query }) => {
      const { db } = svc.ctx;
      const catalog = svc.catalog();
      const filter = {
        ...scopeFilter(query),
        ...(query.technique === undefined ? {} : { technique: query.technique }),
        ...(query.tactic === undefined ? {} : { tactic: queryTactic(query.tactic, catalog) }),
        ...(query.rule_id === undefined ? {} : { rule_id: query.rule_id }),
      };
      const page = await svc.tags().list(filter, { limit: query.limit, offset: query.offset });
      const refs = await attackerRefs(db, page.tags);
      return { tags: page.tags.map((t) => toTag(t, catalog, refs, query.evidence === true)), total: page.total };
    },
  });

  route({
    method: 'GET',
    url: '/ttp/tags/:id',
    summary: 'One tag, with its evidence',
    tag: 'ttp',
    access: 'viewer',
    params: anyIdParam,
    responses: { 200: { description: 'the tag', schema: tagWithEvidence }, 404: { description: 'no such tag', schema: errorSchema } },
    handler: async ({ params }) => {
      const { db } = svc.ctx;
      const row = await svc.tags().get(params.id);
      if (!row) throw notFound(`no tag ${JSON.stringify(params.id)}`);
      return toTag(row, svc.catalog(), await attackerRefs(db, [row]), true);
    },
  });
}
