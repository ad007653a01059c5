/**
 * `GET /api/v1/stream` (eventplane.md §1.3, §3): the checks, in the order every SSE
 * route uses — auth (401/403), then the request (400, and the viewer rule 403), then a
 * slot (429) — all before any response byte; then the headers and a StreamSession.
 *
 * Auth is `?ticket=` or a Bearer header, and a ticket beats a header. A token in the
 * query (`?token=`, even beside a good header) or a JWT passed as the ticket is 401:
 * query strings end up in proxy and browser logs, tickets are single-use and expire.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { unauthorized } from '../errors.js';
import { API_PREFIX, type RouteSpec } from '../route.js';
import { errorSchema } from '../routes/common.js';
import { parseStreamRequest } from './request.js';
import type { StreamHub } from './hub.js';
import { StreamSession } from './session.js';
import type { StreamSlots } from './slots.js';
import { redeemTicket, type TicketStore, type TicketUser } from './tickets.js';

export const STREAM_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
});

export interface StreamRouteDeps {
  readonly tickets: TicketStore;
  readonly slots: StreamSlots;
  /** Open sessions, so that `app.close()` can end them first. */
  readonly sessions: Set<StreamSession>;
  /** The app's shared subscriptions, frames and journal reads. */
  readonly hub: () => StreamHub;
}

/** Documentation only: the handler parses the query itself (order of checks, named patterns). */
const streamQuery = z.object({
  topics: z.string().optional().describe('Comma-separated bus patterns (at most 16), e.g. attacker.>,credential.>'),
  logs: z.string().optional().describe('logs=1: the log feed, `event: logs` frames `{"rows": [...]}` (≤ 100 rows) after each system.log batch; filters decky, service, event_type, attacker_ip'),
  decky: z.string().optional().describe('log feed: exact decky'),
  service: z.string().optional().describe('log feed: exact service'),
  event_type: z.string().optional().describe('log feed: exact event type'),
  attacker_ip: z.string().optional().describe('log feed: exact attacker address'),
  ticket: z.string().optional().describe('A single-use ticket from POST /api/v1/auth/sse-ticket (instead of the Authorization header)'),
  last_event_id: z.string().optional().describe('Resume cursor <seq>:<log id> (the Last-Event-ID header wins)'),
});

const streamSpec: RouteSpec<undefined, z.infer<typeof streamQuery>, undefined> = {
  method: 'GET',
  url: '/stream',
  summary: 'Live events (text/event-stream), filtered by topic pattern, resumable for journaled topics',
  tag: 'stream',
  access: 'viewer',
  query: streamQuery,
  responses: {
    200: { description: 'text/event-stream: `retry: 3000`, then frames of `id: <seq>:<log id>` (journaled topics and the log feed), `event: <topic>` (or `logs`, `gap`, `error`) and `data: <JSON>`; `: keepalive` after 15 s of quiet' },
    400: { description: 'neither topics nor logs=1, a bad pattern, more than 16 patterns, a bad cursor', schema: errorSchema },
    401: { description: 'no or bad token or ticket; a token in the query', schema: errorSchema },
    403: { description: 'password change owed, or a viewer pattern only forbidden topics match', schema: errorSchema },
    429: { description: 'too_many_streams: the per-user or total stream cap', schema: errorSchema },
  },
  handler: () => Promise.reject(new Error('GET /stream is served by its own handler')),
};

async function streamUser(ctx: ApiContext, tickets: TicketStore, req: FastifyRequest): Promise<TicketUser> {
  const query = req.query as Record<string, unknown>;
  if (query.token !== undefined) throw unauthorized('Tokens do not go in the query: pass ?ticket= (POST /api/v1/auth/sse-ticket) or an Authorization header');
  if (query.ticket !== undefined) {
    if (typeof query.ticket !== 'string' || query.ticket === '') throw unauthorized('Invalid or expired stream ticket');
    return redeemTicket(tickets, ctx.db, query.ticket);
  }
  const user = await ctx.auth.authenticate(req);
  ctx.auth.authorize(user, 'viewer', false);
  return user;
}

export function registerStreamRoute(app: FastifyInstance, ctx: ApiContext, deps: StreamRouteDeps): void {
  ctx.catalog.specs.push(streamSpec as unknown as RouteSpec<unknown, unknown, unknown>);
  // no HEAD twin: a HEAD would hold a slot with a stream nobody can read
  app.get(`${API_PREFIX}/stream`, { exposeHeadRoute: false }, async (req, reply) => {
    const user = await streamUser(ctx, deps.tickets, req);
    const request = parseStreamRequest(req.query as Record<string, unknown>, req.headers, user.role);
    const slot = deps.slots.acquire(user.id);
    let session: StreamSession | undefined;
    try {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, STREAM_HEADERS);
      session = new StreamSession({
        hub: deps.hub(),
        journal: ctx.db.repos.journal,
        clock: ctx.clock,
        log: ctx.log,
        role: user.role,
        patterns: request.patterns,
        cursor: request.cursor,
        logFeed: request.logs === undefined ? undefined : { bus: ctx.bus, logs: ctx.db.repos.logs, filter: request.logs },
        res,
        onEnd: () => {
          slot.release();
          if (session) deps.sessions.delete(session);
        },
      });
    } catch (err) {
      slot.release();
      throw err;
    }
    if (!session.isEnded) deps.sessions.add(session);
    ctx.log.debug({ user: user.username, patterns: request.patterns, resume: request.cursor !== undefined }, 'stream opened');
    await session.start();
  });
}
