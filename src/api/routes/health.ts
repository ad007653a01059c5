/**
 * `GET /api/v1/health` (eventplane.md §2): `{status}` for anyone (a bad token
 * too); a viewer token adds the components. 503 `unhealthy` when the database
 * is down; `degraded` when the bus is down or a managed worker is in backoff or
 * failed (one stopped on purpose does not count).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { Authenticator, type AuthUser } from '../auth/guard.js';
import { defineRoute } from '../route.js';

const healthReply = z.object({
  status: z.enum(['healthy', 'degraded', 'unhealthy']),
  components: z
    .object({
      database: z.object({ status: z.enum(['ok', 'down']), latency_ms: z.number().nullable() }),
      bus: z.object({ status: z.string() }),
      workers: z.object({ ok: z.int(), stale: z.int(), unknown: z.int() }),
    })
    .optional(),
});

const PROBE_CACHE_MS = 1000;

export function registerHealthRoute(app: FastifyInstance, ctx: ApiContext): void {
  let probe: { atMs: number; ok: boolean; latency: number | null } | undefined;
  const database = async (): Promise<{ ok: boolean; latency: number | null }> => {
    const now = ctx.clock.now();
    if (probe && now - probe.atMs < PROBE_CACHE_MS) return probe;
    try {
      const latency = await ctx.db.ping();
      probe = { atMs: now, ok: true, latency: Math.round(latency * 1000) / 1000 };
    } catch {
      probe = { atMs: now, ok: false, latency: null };
    }
    return probe;
  };

  defineRoute(app, ctx.auth, ctx.catalog, {
    method: 'GET',
    url: '/health',
    summary: 'Liveness for anyone; components for a viewer token',
    tag: 'health',
    access: 'public',
    responses: { 200: { description: 'healthy or degraded', schema: healthReply }, 503: { description: 'database down', schema: healthReply } },
    handler: async ({ req, reply }) => {
      const db = await database();
      const busUp = ctx.bus.state === 'connected';
      const workers = ctx.registry.all();
      const managedTrouble = workers.some((w) => {
        const s = ctx.supervisor?.state(w.name);
        return s !== undefined && (s.runState === 'backoff' || s.runState === 'failed');
      });
      const status = !db.ok ? 'unhealthy' : !busUp || managedTrouble ? 'degraded' : 'healthy';
      let viewer: AuthUser | undefined;
      const token = Authenticator.bearer(req);
      if (token) viewer = await ctx.auth.verify(token).catch(() => undefined);
      void reply.status(status === 'unhealthy' ? 503 : 200);
      if (!viewer) return { status };
      const count = (s: string): number => workers.filter((w) => w.status === s).length;
      return {
        status,
        components: {
          database: { status: db.ok ? 'ok' : 'down', latency_ms: db.latency },
          bus: { status: ctx.bus.state },
          workers: { ok: count('ok'), stale: count('stale'), unknown: count('unknown') },
        },
      };
    },
  });
}
