/**
 * Credential-reuse findings (analysis.md §3, CORRECTIONS #7.2), viewer role:
 * `GET /credential-reuse` by `target_count`, then `last_seen`, newest first, and
 * `GET /credential-reuse/{id}` with its targets, attackers and `attempt_count`. The
 * secret never travels (ingest stores it only with DECNET_STORE_PLAINTEXT_CREDENTIALS).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { notFound } from '../errors.js';
import { defineRoute } from '../route.js';
import { errorSchema } from './common.js';
import { pageQuery } from './paging.js';

const finding = z.object({
  id: z.string(),
  secret_sha256: z.string(),
  secret_kind: z.string(),
  principal: z.string().nullable().describe('null for none, * across principals (DECNET_REUSE_ACROSS_PRINCIPALS)'),
  target_count: z.int(),
  attacker_count: z.int(),
  confidence: z.number(),
  first_seen: z.string(),
  last_seen: z.string(),
  detected_at: z.string(),
  updated_at: z.string(),
});
const detail = finding.extend({
  targets: z.array(z.object({ decky: z.string(), service: z.string(), first_seen: z.string(), last_seen: z.string() })),
  attackers: z.array(z.object({ attacker_ip: z.string(), attacker_id: z.string().nullable() })),
  attempt_count: z.int(),
});
const listQuery = pageQuery.extend({ min_targets: z.coerce.number().int().min(1).max(1_000_000).optional(), secret_kind: z.string().max(64).optional() });

export function registerCredentialReuseRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const route = <B, Q, P>(spec: Parameters<typeof defineRoute<B, Q, P>>[3]): void => defineRoute(app, ctx.auth, ctx.catalog, spec);

  route({
    method: 'GET',
    url: '/credential-reuse',
    summary: 'Credential-reuse findings: one secret tried against several targets (by target count, then last seen)',
    tag: 'credential-reuse',
    access: 'viewer',
    query: listQuery,
    responses: { 200: { description: 'a page of findings', schema: z.object({ findings: z.array(finding), total: z.int() }) }, 400: { description: 'bad query', schema: errorSchema } },
    handler: async ({ query }) => {
      const page = await ctx.db.repos.credentialReuse.list({
        limit: query.limit,
        offset: query.offset,
        ...(query.min_targets === undefined ? {} : { minTargets: query.min_targets }),
        ...(query.secret_kind === undefined ? {} : { secretKind: query.secret_kind }),
      });
      return { findings: page.items, total: page.total };
    },
  });

  route({
    method: 'GET',
    url: '/credential-reuse/:id',
    summary: 'One finding with its targets, attackers and attempt count',
    tag: 'credential-reuse',
    access: 'viewer',
    params: z.object({ id: z.string().min(1).max(64) }),
    responses: { 200: { description: 'the finding', schema: detail }, 404: { description: 'unknown finding', schema: errorSchema } },
    handler: async ({ params }) => {
      const found = await ctx.db.repos.credentialReuse.get(params.id);
      if (!found) throw notFound(`no credential-reuse finding ${JSON.stringify(params.id)}`);
      return found;
    },
  });
}
