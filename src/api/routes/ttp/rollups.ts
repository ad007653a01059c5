/**
 * Rollups (ttp.md §8.1–§8.2): what one attacker, session, identity or campaign did.
 * An attacker's tags are the linked ones and the unlinked ones at its address; a session's
 * are those carrying its id, else that attacker's on that decky within the session's
 * window. Identities and campaigns do not exist yet: their routes answer 404 for every id.
 */
import { z } from 'zod';
import type { TagFilter } from '../../../db/index.js';
import { ApiError, notFound } from '../../errors.js';
import { errorSchema } from '../common.js';
import { queryTime } from '../paging.js';
import { rollup } from './resources.js';
import type { TtpRoute } from './route.js';
import { anyIdParam, rollupSchema, sessionRollupSchema, uuidParam, type Rollup } from './schemas.js';
import { attackerScope } from './filters.js';
import type { TtpServices } from './services.js';

/** The longest timeline of a session rollup. */
const TIMELINE_MAX = 500;

export function registerRollupRoutes(route: TtpRoute, svc: TtpServices): void {
  const rollupOf = async (scope: string, filter: TagFilter): Promise<Rollup> => {
    const [summary, aggregates] = await Promise.all([svc.tags().summary(filter), svc.tags().techniques(filter)]);
    return rollup(scope, summary, aggregates, svc.catalog());
  };

  route({
    method: 'GET',
    url: '/ttp/by-attacker/:id',
    summary: 'What one attacker (UUID or IP) did: its linked tags and the unlinked ones at its address',
    tag: 'ttp',
    access: 'viewer',
    params: anyIdParam,
    query: z.object({ since: queryTime.optional() }),
    responses: { 200: { description: 'the rollup', schema: rollupSchema }, 400: { description: 'bad query', schema: errorSchema }, 404: { description: 'no attacker and no tag', schema: errorSchema } },
    handler: async ({ params, query }) => {
      const found = await attackerScope(svc.ctx.db, params.id);
      if (!found || (!found.attacker && (await svc.tags().summary(found.filter)).tag_count === 0)) throw notFound(`no attacker and no tag for ${JSON.stringify(params.id)}`);
      return rollupOf(`attacker:${found.key}`, { ...found.filter, ...(query.since === undefined ? {} : { since: query.since }) });
    },
  });

  route({
    method: 'GET',
    url: '/ttp/by-session/:id',
    summary: 'What one session did (an attacker_sessions id, or a session id), with a timeline of ≤ 500 tags, oldest first',
    tag: 'ttp',
    access: 'viewer',
    params: anyIdParam,
    responses: { 200: { description: 'the rollup and its timeline', schema: sessionRollupSchema }, 404: { description: 'no such session', schema: errorSchema } },
    handler: async ({ params }) => {
      const row = await svc.ctx.db.repos.attackers.session(params.id);
      const scope = `session:${row?.id ?? params.id}`;
      let filter: TagFilter = { session_id: row?.session_id ?? params.id };
      let result = row !== undefined && row.session_id === null ? null : await rollupOf(scope, filter);
      if (row && (result === null || result.tag_count === 0)) {
        // commands read from logs carry no session id: the attacker's tags on that decky in the window
        const attacker = (await attackerScope(svc.ctx.db, row.attacker_id))?.filter ?? { attacker_uuid: row.attacker_id };
        filter = { ...attacker, decky: row.decky, since: row.started_at, until: row.ended_at };
        result = await rollupOf(scope, filter);
      }
      if (result === null || (!row && result.tag_count === 0)) throw notFound(`no session ${JSON.stringify(params.id)}`);
      const newestFirst = await svc.tags().list(filter, { limit: TIMELINE_MAX, offset: Math.max(0, result.tag_count - TIMELINE_MAX) });
      const timeline = newestFirst.tags.reverse().map((t) => ({ observed_at: t.observed_at, technique_id: t.technique_id, sub_technique_id: t.sub_technique_id, rule_id: t.rule_id, tag_id: t.id }));
      return { ...result, timeline };
    },
  });

  const none = (url: string, what: 'identity' | 'campaign', over: string): void =>
    route({
      method: 'GET',
      url,
      summary: `The rollup over ${over} (404 until ${what === 'identity' ? 'identities' : 'campaigns'} exist)`,
      tag: 'ttp',
      access: 'viewer',
      params: uuidParam,
      responses: { 200: { description: 'the rollup', schema: rollupSchema }, 404: { description: `${what}_not_found`, schema: errorSchema } },
      handler: async ({ params }) => {
        throw new ApiError(404, `${what}_not_found`, `no ${what} ${JSON.stringify(params.uuid)}`);
      },
    });
  none('/ttp/by-identity/:uuid', 'identity', "an identity's attackers");
  none('/ttp/by-campaign/:uuid', 'campaign', "a campaign's identities");
}
