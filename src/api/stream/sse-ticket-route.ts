/**
 * `POST /api/v1/auth/sse-ticket` (eventplane.md §1.2, §1.3): trades a Bearer token for
 * a single-use stream ticket, valid 60 s. Bearer only, so a ticket cannot mint a
 * ticket; refused while a password change is owed. The ticket never reaches a log.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { unauthorized } from '../errors.js';
import { defineRoute } from '../route.js';
import { errorSchema } from '../routes/common.js';
import type { TicketStore } from './tickets.js';

const ticketReply = z.object({ ticket: z.string(), expires_in: z.int() });

export function registerSseTicketRoute(app: FastifyInstance, ctx: ApiContext, tickets: TicketStore): void {
  defineRoute(app, ctx.auth, ctx.catalog, {
    method: 'POST',
    url: '/auth/sse-ticket',
    summary: 'Mint a single-use stream ticket (60 s) for GET /stream?ticket=',
    tag: 'auth',
    access: 'viewer',
    responses: {
      200: { description: 'a ticket', schema: ticketReply },
      401: { description: 'no or bad Bearer token', schema: errorSchema },
      403: { description: 'password change owed', schema: errorSchema },
    },
    handler: async ({ user }): Promise<z.infer<typeof ticketReply>> => {
      const row = await ctx.db.repos.users.findById(user.id);
      if (!row) throw unauthorized('Invalid token: user no longer exists');
      const { ticket, expiresIn } = tickets.mint(row.id, row.role, row.tokensValidFrom);
      return { ticket, expires_in: expiresIn };
    },
  });
}
