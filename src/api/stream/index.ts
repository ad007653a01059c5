/**
 * Live streams (eventplane.md §1.3, §3): `GET /api/v1/stream` and
 * `POST /api/v1/auth/sse-ticket`, sharing one ticket store, one set of slots and one
 * StreamHub (the bus subscriptions, frames and journal reads of every stream).
 * `app.close()` ends every open stream first (a preClose hook), so the server can close.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { StreamHub } from './hub.js';
import type { StreamSession } from './session.js';
import { StreamSlots } from './slots.js';
import { registerSseTicketRoute } from './sse-ticket-route.js';
import { registerStreamRoute } from './stream-route.js';
import { TicketStore } from './tickets.js';

export function registerStreamRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tickets = new TicketStore(ctx.clock);
  const slots = new StreamSlots(ctx.config.api.sseMaxPerUser, ctx.config.api.sseMaxTotal);
  const sessions = new Set<StreamSession>();
  // made on the first stream: building the app (e.g. for the OpenAPI document) touches no database
  let hub: StreamHub | undefined;
  const sharedHub = (): StreamHub => (hub ??= new StreamHub({ bus: ctx.bus, journal: ctx.db.repos.journal, durableTopics: ctx.config.journal.durableTopics }));
  registerSseTicketRoute(app, ctx, tickets);
  registerStreamRoute(app, ctx, { tickets, slots, sessions, hub: sharedHub });
  app.addHook('preClose', async () => {
    for (const session of [...sessions]) session.end('shutdown');
  });
}

export { ClientQueue, type ClientQueueOptions, type FrameSink } from './client-queue.js';
export { JOURNAL_PAGE, StreamHub, type HubMember, type Membership, type SharedRow, type StreamHubOptions } from './hub.js';
export { formatCursor, parseCursor, type EventData, type StreamCursor } from './frames.js';
export { MAX_STREAM_PATTERNS, parseStreamRequest, type StreamRequest } from './request.js';
export { MAX_REPLAY, StreamSession, type EndReason } from './session.js';
export { StreamSlots, type Slot } from './slots.js';
export { TicketStore, TICKET_TTL_SECS, TICKETS_PER_USER } from './tickets.js';
export { VIEWER_FORBIDDEN, forbiddenCover, mayReceive } from './viewer-filter.js';
