/**
 * The stored log lines and the state of each ingest source (eventplane.md §8.6,
 * CORRECTIONS #7.7), viewer role: `GET /logs` newest first with exact filters and an
 * ISO time range, answering `{logs, total}`; `GET /ingest/status` per source.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { LogRow } from '../../db/index.js';
import { normalizeIp } from '../../ingest/normalize.js';
import type { ApiContext } from '../context.js';
import { defineRoute } from '../route.js';
import { errorSchema } from './common.js';
import { pageQuery, queryTime } from './paging.js';

export const logRowSchema = z.object({
  id: z.int(),
  timestamp: z.string(),
  received_at: z.string(),
  decky: z.string().nullable(),
  service: z.string().nullable(),
  event_type: z.string().nullable(),
  attacker_ip: z.string().nullable(),
  severity: z.int().nullable(),
  facility: z.int().nullable(),
  procid: z.string().nullable(),
  fields: z.record(z.string(), z.string()),
  sd: z.record(z.string(), z.record(z.string(), z.string())).nullable(),
  msg: z.string().nullable(),
  raw_line: z.string(),
  source: z.string(),
  flags: z.array(z.string()),
});
export type LogRowResponse = z.infer<typeof logRowSchema>;

/** A stored row as the API and the SSE log feed show it. */
export function logRowResponse(r: LogRow): LogRowResponse {
  return {
    id: r.id,
    timestamp: r.timestamp,
    received_at: r.receivedAt,
    decky: r.decky,
    service: r.service,
    event_type: r.eventType,
    attacker_ip: r.attackerIp,
    severity: r.severity,
    facility: r.facility,
    procid: r.procid,
    fields: { ...r.fields },
    sd: r.sd === null ? null : { ...r.sd },
    msg: r.msg,
    raw_line: r.rawLine,
    source: r.source,
    flags: [...r.flags],
  };
}

const logsQuery = pageQuery.extend({
  decky: z.string().optional(),
  service: z.string().optional(),
  event_type: z.string().optional(),
  attacker_ip: z.string().optional().describe('exact address (any spelling; also `ip`)'),
  ip: z.string().optional().describe('the issue\'s name for attacker_ip'),
  since: queryTime.optional().describe('ISO-8601, inclusive'),
  until: queryTime.optional().describe('ISO-8601, inclusive'),
});

const sourceSchema = z.object({
  id: z.string(),
  kind: z.string(),
  format: z.string(),
  path: z.string(),
  offset: z.int(),
  lines: z.int(),
  parsed: z.int(),
  unparsed: z.int(),
  filtered: z.int(),
  dropped: z.int(),
  truncations: z.int(),
  rotations: z.int(),
  last_error: z.string().nullable(),
  updated_at: z.string(),
});

export function registerLogRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const route = <B, Q, P>(spec: Parameters<typeof defineRoute<B, Q, P>>[3]): void => defineRoute(app, ctx.auth, ctx.catalog, spec);

  route({
    method: 'GET',
    url: '/logs',
    summary: 'Stored log lines, newest first, filtered by decky, service, event type, attacker address and time',
    tag: 'logs',
    access: 'viewer',
    query: logsQuery,
    responses: { 200: { description: 'a page of log rows', schema: z.object({ logs: z.array(logRowSchema), total: z.int() }) }, 400: { description: 'bad query', schema: errorSchema } },
    handler: async ({ query }) => {
      const ip = query.attacker_ip ?? query.ip;
      const page = await ctx.db.repos.logs.list(
        {
          ...(query.decky === undefined ? {} : { decky: query.decky }),
          ...(query.service === undefined ? {} : { service: query.service }),
          ...(query.event_type === undefined ? {} : { eventType: query.event_type }),
          ...(ip === undefined ? {} : { attackerIp: normalizeIp(ip) ?? ip }),
          ...(query.since === undefined ? {} : { since: query.since }),
          ...(query.until === undefined ? {} : { until: query.until }),
        },
        { limit: query.limit, offset: query.offset },
      );
      return { logs: page.logs.map(logRowResponse), total: page.total };
    },
  });

  route({
    method: 'GET',
    url: '/ingest/status',
    summary: 'Per ingest source: offset, lines, parsed, unparsed, filtered, dropped and the last error',
    tag: 'logs',
    access: 'viewer',
    responses: { 200: { description: 'every source ingest has state for', schema: z.object({ sources: z.array(sourceSchema), generated_at: z.string() }) } },
    handler: async () => ({
      sources: (await ctx.db.repos.ingestSources.list()).map((s) => ({
        id: s.id,
        kind: s.kind,
        format: s.format,
        path: s.path,
        offset: s.offset,
        lines: s.lines,
        parsed: s.parsed,
        unparsed: s.unparsed,
        filtered: s.filtered,
        dropped: s.dropped,
        truncations: s.truncations,
        rotations: s.rotations,
        last_error: s.lastError,
        updated_at: s.updatedAt,
      })),
      generated_at: ctx.clock.isoNow(),
    }),
  });
}
