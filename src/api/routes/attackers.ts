/**
 * Attackers and sessions (analysis.md §1.6, §2; CORRECTIONS #7.2, #7.15), viewer role:
 * `GET /attackers` (paged, sorted, filtered), `GET /attackers/{id}` (UUID or IP: the
 * profile with its deckies, services, credentials by kind and latest sessions),
 * `GET /attackers/{id}/traversal` (hops merged with mutation markers, §1.5),
 * `GET /attackers/{id}/sessions`, `GET /attackers/{id}/commands` and `GET /sessions/{id}`
 * (an `attacker_sessions` row with its commands). Extensions add fields to rows and
 * profiles (correlate/api-extensions.ts).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ATTACKER_API_EXTENSIONS, attackerTraversal, COMMAND_EVENT_TYPES, firstContactOrder, type AttackerApiExtension } from '../../correlate/index.js';
import { ATTACKER_SORTS, type Attacker, type AttackerTarget } from '../../db/index.js';
import { commandText } from '../../ingest/command-text.js';
import { normalizeIp } from '../../ingest/normalize.js';
import type { ApiContext } from '../context.js';
import { notFound } from '../errors.js';
import { defineRoute } from '../route.js';
import { errorSchema } from './common.js';
import { pageQuery, queryBool } from './paging.js';

const attackerRow = z.object({
  id: z.string(),
  ip: z.string(),
  identity_id: z.string().nullable(),
  first_seen: z.string().nullable(),
  last_seen: z.string().nullable(),
  event_count: z.int(),
  decky_count: z.int(),
  service_count: z.int(),
  is_traversal: z.boolean(),
  traversal_path: z.string().nullable(),
  credential_count: z.int(),
  fingerprint_count: z.int(),
  session_count: z.int(),
  command_count: z.int(),
  bounty_count: z.int(),
  behavior_class: z.string(),
  behavior: z.record(z.string(), z.unknown()).nullable(),
  behavior_computed_at: z.string().nullable(),
  rotation_count: z.int(),
  last_rotation_at: z.string().nullable(),
  asn: z.int().nullable(),
  as_name: z.string().nullable(),
  country_code: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
const target = z.object({ decky: z.string(), service: z.string(), first_seen: z.string(), last_seen: z.string(), event_count: z.int(), interaction_count: z.int(), noise_count: z.int() });
const command = z.object({ id: z.string(), command_text: z.string(), ts: z.string() });
const sessionSummary = z.object({
  id: z.string(),
  log_id: z.int(),
  attacker_id: z.string(),
  session_id: z.string().nullable(),
  decky: z.string(),
  service: z.string(),
  started_at: z.string(),
  ended_at: z.string(),
  duration_s: z.number(),
  command_count: z.int(),
  commands_truncated: z.boolean(),
  shard_path: z.string().nullable(),
  evidence_ref: z.string(),
});
const session = sessionSummary.extend({ commands: z.array(command) });
const traversal = z.object({
  attacker_id: z.string(),
  deckies: z.array(z.string()).describe('first-contact order'),
  path: z.string().describe('the deckies joined by " → "'),
  first_seen: z.string().nullable(),
  last_seen: z.string().nullable(),
  duration_s: z.number().nullable(),
  hops: z.int().describe('hop entries in the timeline (one per decky and service)'),
  mutations_during: z.int().describe('mutation markers in the timeline (between first and last seen)'),
  timeline: z.array(
    z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('hop'), timestamp: z.string(), decky: z.string(), service: z.string(), first_seen: z.string(), last_seen: z.string(), event_count: z.int() }),
      z.object({ kind: z.literal('mutation'), timestamp: z.string(), decky: z.string(), old_services: z.array(z.string()), new_services: z.array(z.string()), trigger: z.string().nullable() }),
    ]),
  ),
});

const listQuery = pageQuery.extend({
  sort: z.enum(ATTACKER_SORTS as [string, ...string[]]).default('recent').describe('recent (last seen, default), active (events), traversals, first_seen (newest first)'),
  ip: z.string().optional().describe('exact address (any spelling)'),
  ip_prefix: z.string().max(64).optional().describe('the start of the address (indexed prefix match)'),
  service: z.string().optional(),
  decky: z.string().optional(),
  traversal: queryBool.optional(),
  identity_id: z.string().optional(),
});
const idParams = z.object({ id: z.string().min(1).max(256) });

/** How many sessions a profile lists (the rest: `GET /attackers/{id}/sessions`). */
const PROFILE_SESSIONS = 20;

function withExtensions(base: z.ZodObject, extensions: readonly AttackerApiExtension[], pick: 'rowSchema' | 'profileSchema'): z.ZodObject {
  return extensions.reduce((s, e) => (e[pick] ? s.extend(e[pick]) : s), base);
}

/** Services split as §1.6 says: interacted; scanned (never interacted, not noise only). */
function services(targets: readonly AttackerTarget[]): { interacted: string[]; scanned: string[] } {
  const by = new Map<string, { events: number; interactions: number; noise: number }>();
  for (const t of targets) {
    if (t.service === '') continue;
    const s = by.get(t.service) ?? { events: 0, interactions: 0, noise: 0 };
    s.events += t.event_count;
    s.interactions += t.interaction_count;
    s.noise += t.noise_count;
    by.set(t.service, s);
  }
  const interacted = [...by].filter(([, s]) => s.interactions > 0).map(([k]) => k).sort();
  const scanned = [...by].filter(([, s]) => s.interactions === 0 && s.events > s.noise).map(([k]) => k).sort();
  return { interacted, scanned };
}

/** Deckies in first-contact order. */
function deckies(targets: readonly AttackerTarget[]): string[] {
  return firstContactOrder(targets.map((t) => ({ decky: t.decky, service: t.service, firstSeen: t.first_seen })));
}

export function attackerRoutes(extensions: readonly AttackerApiExtension[] = ATTACKER_API_EXTENSIONS): (app: FastifyInstance, ctx: ApiContext) => void {
  return (app, ctx) => registerAttackerRoutes(app, ctx, extensions);
}

export function registerAttackerRoutes(app: FastifyInstance, ctx: ApiContext, extensions: readonly AttackerApiExtension[] = ATTACKER_API_EXTENSIONS): void {
  const route = <B, Q, P>(spec: Parameters<typeof defineRoute<B, Q, P>>[3]): void => defineRoute(app, ctx.auth, ctx.catalog, spec);
  const rowSchema = withExtensions(attackerRow, extensions, 'rowSchema');
  const profileSchema = withExtensions(
    attackerRow.extend({
      deckies: z.array(z.string()),
      targets: z.array(target),
      services_interacted: z.array(z.string()),
      services_scanned: z.array(z.string()),
      credentials_by_kind: z.record(z.string(), z.int()),
      campaign_id: z.string().nullable(),
      intel: z.record(z.string(), z.unknown()).nullable(),
      sessions: z.array(sessionSummary),
    }),
    extensions,
    'profileSchema',
  );

  const find = async (id: string): Promise<Attacker> => {
    const attacker = await ctx.db.repos.attackers.find(normalizeIp(id) ?? id);
    if (!attacker) throw notFound(`no attacker ${JSON.stringify(id)}`);
    return attacker;
  };

  route({
    method: 'GET',
    url: '/attackers',
    summary: 'Attacker profiles, one per source address (paged; sort recent, active, traversals or first_seen)',
    tag: 'attackers',
    access: 'viewer',
    query: listQuery,
    responses: { 200: { description: 'a page of attackers', schema: z.object({ attackers: z.array(rowSchema), total: z.int() }) }, 400: { description: 'bad query', schema: errorSchema } },
    handler: async ({ query }) => {
      const ip = query.ip === undefined ? undefined : (normalizeIp(query.ip) ?? query.ip);
      const page = await ctx.db.repos.attackers.list({
        limit: query.limit,
        offset: query.offset,
        sort: query.sort as (typeof ATTACKER_SORTS)[number],
        ...(ip === undefined ? {} : { ip }),
        ...(query.ip_prefix === undefined ? {} : { ipPrefix: query.ip_prefix.toLowerCase() }),
        ...(query.service === undefined ? {} : { service: query.service }),
        ...(query.decky === undefined ? {} : { decky: query.decky }),
        ...(query.traversal === undefined ? {} : { traversal: query.traversal }),
        ...(query.identity_id === undefined ? {} : { identityId: query.identity_id }),
      });
      const added = await Promise.all(extensions.map((e) => (e.rowFields ? e.rowFields(ctx.db, page.items) : Promise.resolve(new Map<string, Record<string, unknown>>()))));
      return { attackers: page.items.map((a) => Object.assign({}, ...added.map((m) => m.get(a.id) ?? {}), a) as Attacker), total: page.total };
    },
  });

  route({
    method: 'GET',
    url: '/attackers/:id',
    summary: 'One attacker (by UUID or IP): profile, deckies and services touched, credentials by kind, latest sessions',
    tag: 'attackers',
    access: 'viewer',
    params: idParams,
    responses: { 200: { description: 'the profile', schema: profileSchema }, 404: { description: 'unknown attacker', schema: errorSchema } },
    handler: async ({ params }) => {
      const attacker = await find(params.id);
      const targets = await ctx.db.repos.attackers.targets(attacker.id);
      const split = services(targets);
      const latest = await ctx.db.repos.attackers.sessions(attacker.id, { limit: PROFILE_SESSIONS, offset: 0 });
      const added = await Promise.all(extensions.map((e) => (e.profileFields ? e.profileFields(ctx.db, attacker) : Promise.resolve({}))));
      return Object.assign({}, ...added, {
        ...attacker,
        deckies: deckies(targets),
        targets,
        services_interacted: split.interacted,
        services_scanned: split.scanned,
        credentials_by_kind: await ctx.db.repos.attackers.credentialsByKind(attacker.ip, ctx.config.analysis.internalDeckyPrefix),
        campaign_id: null,
        intel: null,
        sessions: latest.items.map(({ commands: _commands, ...rest }) => rest),
      }) as Record<string, unknown>;
    },
  });

  route({
    method: 'GET',
    url: '/attackers/:id/traversal',
    summary: "An attacker's traversal: hops by first contact, merged with the mutation markers of its deckies between its first and last sighting",
    tag: 'attackers',
    access: 'viewer',
    params: idParams,
    responses: { 200: { description: 'the traversal', schema: traversal }, 404: { description: 'unknown attacker', schema: errorSchema } },
    handler: async ({ params }) => attackerTraversal(ctx.db, await find(params.id)),
  });

  route({
    method: 'GET',
    url: '/attackers/:id/sessions',
    summary: "An attacker's sessions, newest first (with their commands)",
    tag: 'attackers',
    access: 'viewer',
    params: idParams,
    query: pageQuery,
    responses: { 200: { description: 'a page of sessions', schema: z.object({ sessions: z.array(session), total: z.int() }) }, 404: { description: 'unknown attacker', schema: errorSchema } },
    handler: async ({ params, query }) => {
      const attacker = await find(params.id);
      const page = await ctx.db.repos.attackers.sessions(attacker.id, query);
      return { sessions: page.items, total: page.total };
    },
  });

  route({
    method: 'GET',
    url: '/attackers/:id/commands',
    summary: "An attacker's command rows, newest first",
    tag: 'attackers',
    access: 'viewer',
    params: idParams,
    query: pageQuery,
    responses: {
      200: { description: 'a page of commands', schema: z.object({ commands: z.array(z.object({ log_id: z.int(), ts: z.string(), decky: z.string().nullable(), service: z.string().nullable(), command: z.string() })), total: z.int() }) },
      404: { description: 'unknown attacker', schema: errorSchema },
    },
    handler: async ({ params, query }) => {
      const attacker = await find(params.id);
      const page = await ctx.db.repos.attackers.logRows(attacker.ip, COMMAND_EVENT_TYPES, query);
      return { commands: page.items.map((r) => ({ log_id: r.id, ts: r.timestamp, decky: r.decky, service: r.service, command: commandText(r) ?? '' })), total: page.total };
    },
  });

  route({
    method: 'GET',
    url: '/sessions/:id',
    summary: 'One session (an attacker_sessions row) with its commands',
    tag: 'attackers',
    access: 'viewer',
    params: idParams,
    responses: { 200: { description: 'the session', schema: session }, 404: { description: 'unknown session', schema: errorSchema } },
    handler: async ({ params }) => {
      const found = await ctx.db.repos.attackers.session(params.id);
      if (!found) throw notFound(`no session ${JSON.stringify(params.id)}`);
      return found;
    },
  });
}
