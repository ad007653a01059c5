/** `/api/v1/workers`: the registry, and stop/start through the bus or the supervisor (eventplane.md §2). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { publishSafely, topics } from '../../bus/index.js';
import type { ApiContext } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { defineRoute } from '../route.js';
import { isKnownWorker, START_ALL_ORDER, type WorkerName } from '../workers/known.js';
import { errorSchema } from './common.js';

const workerStatus = z.object({
  name: z.string(),
  status: z.enum(['ok', 'stale', 'unknown']),
  last_heartbeat_ts: z.string().nullable(),
  seconds_since: z.number().nullable(),
  extra: z.record(z.string(), z.unknown()),
  managed: z.boolean(),
  run_state: z.enum(['starting', 'running', 'backoff', 'stopped', 'failed']).nullable(),
  restarts: z.int().nullable(),
  last_exit: z.string().nullable(),
});
const listReply = z.object({ workers: z.array(workerStatus), generated_at: z.string(), bus_connected: z.boolean() });
const nameParams = z.object({ name: z.string() });
const accepted = z.object({ accepted: z.literal(true), worker: z.string(), action: z.enum(['stop', 'start']) });
const startAllReply = z.object({ started: z.array(z.string()), already_running: z.array(z.string()), failed: z.array(z.object({ name: z.string(), reason: z.string() })) });

export function registerWorkerRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const route = <B, Q, P>(spec: Parameters<typeof defineRoute<B, Q, P>>[3]): void => defineRoute(app, ctx.auth, ctx.catalog, spec);
  const known = (name: string): WorkerName => {
    if (!isKnownWorker(name)) throw notFound(`unknown worker ${JSON.stringify(name)}`);
    return name;
  };

  route({
    method: 'GET',
    url: '/workers',
    summary: 'Every known worker: last heartbeat and, under `decnet up`, its run state',
    tag: 'workers',
    access: 'viewer',
    responses: { 200: { description: 'the registry', schema: listReply } },
    handler: async () => ({
      workers: ctx.registry.all().map((b) => {
        const managed = ctx.supervisor?.state(b.name);
        return {
          name: b.name,
          status: b.status,
          last_heartbeat_ts: b.lastHeartbeatTs,
          seconds_since: b.secondsSince,
          extra: b.extra,
          managed: managed !== undefined,
          run_state: managed?.runState ?? null,
          restarts: managed?.restarts ?? null,
          last_exit: managed?.lastExit ?? null,
        };
      }),
      generated_at: ctx.clock.isoNow(),
      bus_connected: ctx.bus.state === 'connected',
    }),
  });

  route({
    method: 'POST',
    url: '/workers/:name/stop',
    summary: 'Ask a worker to stop (system.<name>.control); answers at once',
    tag: 'workers',
    access: 'admin',
    params: nameParams,
    responses: { 202: { description: 'stop requested', schema: accepted }, 404: { description: 'unknown worker', schema: errorSchema }, 503: { description: 'bus down and not managed', schema: errorSchema } },
    handler: async ({ params, user, reply }) => {
      const name = known(params.name);
      const managed = ctx.supervisor?.state(name) !== undefined;
      if (!managed && ctx.bus.state !== 'connected') throw new ApiError(503, 'bus_unavailable', 'the bus is down and the worker is not managed by this process');
      // answer first: stopping `api` ends this very process
      void reply.status(202).send({ accepted: true, worker: name, action: 'stop' });
      await publishSafely(ctx.bus, topics.systemControl(name), { action: 'stop', requested_by: user.username, ts: ctx.clock.now() / 1000 }, { log: ctx.log });
      if (managed) await ctx.supervisor?.stop(name);
      return reply;
    },
  });

  route({
    method: 'POST',
    url: '/workers/:name/start',
    summary: 'Start a managed worker (also answers 202 when it already runs)',
    tag: 'workers',
    access: 'admin',
    params: nameParams,
    responses: { 202: { description: 'start requested', schema: accepted }, 404: { description: 'unknown worker', schema: errorSchema }, 409: { description: 'not in this build', schema: errorSchema }, 503: { description: 'no supervisor', schema: errorSchema } },
    handler: async ({ params, reply }) => {
      const name = known(params.name);
      if (!ctx.supervisor) throw new ApiError(503, 'not_managed', 'no supervisor: run `decnet up` to manage workers');
      const outcome = await ctx.supervisor.start(name);
      if (outcome === 'not_installed') throw new ApiError(409, 'not_installed', `worker ${name} is not in this build`);
      return reply.status(202).send({ accepted: true, worker: name, action: 'start' });
    },
  });

  route({
    method: 'POST',
    url: '/workers/start-all',
    summary: 'Start every managed worker of this build, in start-all order',
    tag: 'workers',
    access: 'admin',
    responses: { 200: { description: 'outcome per worker', schema: startAllReply }, 503: { description: 'no supervisor', schema: errorSchema } },
    handler: async () => {
      const supervisor = ctx.supervisor;
      if (!supervisor) throw new ApiError(503, 'not_managed', 'no supervisor: run `decnet up` to manage workers');
      const out: z.infer<typeof startAllReply> = { started: [], already_running: [], failed: [] };
      for (const name of START_ALL_ORDER) {
        try {
          const r = await supervisor.start(name);
          if (r === 'started') out.started.push(name);
          else if (r === 'already_running') out.already_running.push(name);
          else out.failed.push({ name, reason: 'not_installed' });
        } catch (err) {
          out.failed.push({ name, reason: err instanceof Error ? err.message : String(err) });
        }
      }
      return out;
    },
  });
}
