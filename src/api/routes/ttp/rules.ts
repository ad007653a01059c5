/**
 * Rules (ttp.md §5, §8.2): what runs (`GET /ttp/rules`, `GET /ttp/rules/{id}`), checking a
 * text without writing (`POST /ttp/rules/validate`), and the database store
 * (`PUT`/`DELETE /ttp/rules/{id}`). The API refuses an invalid definition, so nothing it
 * writes can break a running rule; the worker applies what it stores within one poll.
 */
import { z } from 'zod';
import { RULE_SOURCES } from '../../../bus/topics/schemas/ttp.js';
import { INPUT_KINDS } from '../../../ttp/index.js';
import { TwoBucketLimiter } from '../../auth/rate-limit.js';
import { ApiError, notFound } from '../../errors.js';
import { errorSchema } from '../common.js';
import { pageQuery } from '../paging.js';
import { ruleBodyOrText, ruleText } from './rule-body.js';
import { ruleDetail, ruleSummary, validationReply } from './rule-resources.js';
import { textFacts } from '../../../ttp/index.js';
import { validateText, type ApiValidation } from './rule-validation.js';
import { databaseEntry, lowerEffective, type RuleEntry } from './rule-view.js';
import type { TtpRoute } from './route.js';
import { effectiveSchema, ruleDetailSchema, ruleIdParam, ruleSummarySchema, TECHNIQUE_ID, validationSchema } from './schemas.js';
import type { TtpServices } from './services.js';
import { settingOf, settingsByRule } from './settings.js';

/** `POST /ttp/rules/validate` per user and minute (§8.2). */
export const VALIDATE_RATE_PER_MIN = 30;

const listQuery = pageQuery.extend({
  status: z.enum(['stable', 'experimental', 'deprecated']).optional(),
  source: z.enum(RULE_SOURCES).optional().describe('the store of the effective definition'),
  input: z.enum(INPUT_KINDS).optional(),
  technique: z.string().regex(TECHNIQUE_ID).optional().describe('rules emitting it (a parent matches its sub-techniques)'),
  q: z.string().max(200).optional().describe('a substring of the id, name or title (any case)'),
});

function matches(e: RuleEntry, q: z.infer<typeof listQuery>): boolean {
  if (q.status !== undefined && e.status !== q.status) return false;
  if (q.source !== undefined && e.source !== q.source) return false;
  if (q.input !== undefined && !e.inputs.includes(q.input)) return false;
  const technique = q.technique;
  if (technique !== undefined && !e.emits.some((m) => typeof m.technique === 'string' && (m.technique === technique || m.technique.startsWith(`${technique}.`)))) return false;
  const needle = q.q?.toLowerCase();
  return needle === undefined || [e.id, e.name ?? '', e.title ?? ''].some((s) => s.toLowerCase().includes(needle));
}

/** The last valid definition of an id, for the `version_not_bumped` warning. */
function previousOf(e: RuleEntry | undefined): { version: number; contentSha256: string } | null {
  return e?.version != null && e.content_sha256 !== null ? { version: e.version, contentSha256: e.content_sha256 } : null;
}

const refusedBody = { 413: { description: 'over the 256 KiB a definition may have', schema: errorSchema }, 415: { description: 'neither JSON nor YAML', schema: errorSchema } };

export function registerRuleRoutes(route: TtpRoute, svc: TtpServices): void {
  const { db, clock } = svc.ctx;
  const limiter = new TwoBucketLimiter(VALIDATE_RATE_PER_MIN, () => clock.now());

  /** Validates as the database store would hold it; `known` is the id's current entry (for `version_not_bumped`). */
  const validate = (text: string, known: RuleEntry | undefined): Promise<ApiValidation> => validateText(text, { catalog: svc.catalog(), regex: svc.regex(), source: 'database', previous: previousOf(known) });

  route({
    method: 'GET',
    url: '/ttp/rules',
    summary: 'The rules the worker runs (until one has reported: the builtin and database stores, validated by the API)',
    tag: 'ttp',
    access: 'viewer',
    query: listQuery,
    responses: { 200: { description: 'a page of rules, by id', schema: z.object({ rules: z.array(ruleSummarySchema), total: z.int() }) }, 400: { description: 'bad query', schema: errorSchema } },
    handler: async ({ query }) => {
      const [view, settings, counts] = await Promise.all([svc.rules.current(), settingsByRule(db), svc.tags().countByRule()]);
      const now = clock.isoNow();
      const hits = [...view.values()].filter((e) => matches(e, query));
      return { rules: hits.slice(query.offset, query.offset + query.limit).map((e) => ruleSummary(e, settingOf(e.id, settings.get(e.id), now), counts.get(e.id) ?? 0)), total: hits.length };
    },
  });

  route({
    method: 'GET',
    url: '/ttp/rules/:id',
    summary: 'One rule: its effective text, candidates per store, state and last error',
    tag: 'ttp',
    access: 'viewer',
    params: ruleIdParam,
    responses: { 200: { description: 'the rule', schema: ruleDetailSchema }, 404: { description: 'no such rule', schema: errorSchema } },
    handler: async ({ params }) => {
      const entry = (await svc.rules.current()).get(params.id);
      if (!entry) throw notFound(`no rule ${params.id}`);
      const [state, counts] = await Promise.all([svc.ruleTables().getState(params.id), svc.tags().countByRule()]);
      return ruleDetail(entry, settingOf(params.id, state, clock.isoNow()), counts.get(params.id) ?? 0);
    },
  });

  route({
    method: 'POST',
    url: '/ttp/rules/validate',
    summary: `Validate a rule text, sent as {yaml} or as application/yaml (lint, cached regex proofs, in-file tests); writes nothing; ${VALIDATE_RATE_PER_MIN} a minute per user`,
    tag: 'ttp',
    access: 'admin',
    body: ruleBodyOrText,
    responses: { 200: { description: 'the verdict', schema: validationSchema }, ...refusedBody, 429: { description: `past ${VALIDATE_RATE_PER_MIN} a minute`, schema: errorSchema } },
    handler: async ({ req, body, user }) => {
      if (!limiter.allowKey(user.id)) throw new ApiError(429, 'rate_limited', `at most ${VALIDATE_RATE_PER_MIN} validations a minute`);
      const text = ruleText(req, body);
      const id = textFacts(text).id;
      return validationReply(await validate(text, id === null ? undefined : (await svc.rules.current()).get(id)));
    },
  });

  route({
    method: 'PUT',
    url: '/ttp/rules/:id',
    summary: 'Store a definition, sent as {yaml} or as application/yaml, in the database store (it outranks the others); refused unless valid',
    tag: 'ttp',
    access: 'admin',
    params: ruleIdParam,
    body: ruleBodyOrText,
    responses: {
      200: { description: 'replaced', schema: ruleDetailSchema.extend({ effective: effectiveSchema, applied: z.boolean() }) },
      201: { description: 'created', schema: ruleDetailSchema.extend({ effective: effectiveSchema, applied: z.boolean() }) },
      409: { description: 'the id in the YAML is not the one in the path', schema: errorSchema },
      ...refusedBody,
      422: { description: '`rule_invalid` with `details.problems`; nothing written', schema: errorSchema },
    },
    handler: async ({ req, reply, params, body, user }) => {
      const text = ruleText(req, body);
      const yamlId = textFacts(text).id;
      if (yamlId !== null && yamlId !== params.id) throw new ApiError(409, 'id_mismatch', `the YAML defines ${JSON.stringify(yamlId)}, the path ${JSON.stringify(params.id)}`);
      const known = (await svc.rules.current()).get(params.id);
      const result = await validate(text, known);
      if (!result.valid) throw new ApiError(422, 'rule_invalid', `the definition does not validate (${result.problems.filter((p) => p.severity === 'error').length} errors)`, { problems: result.problems });
      const { rule, created } = await db.write((tx) => svc.ruleTables().putRule(tx, { rule_id: params.id, yaml: text, content_sha256: result.contentSha256, updated_by: user.username }));
      svc.ctx.log.info({ rule: params.id, version: result.rule?.def.version, by: user.username }, 'rule stored');
      const [state, counts, catalogRow] = await Promise.all([svc.ruleTables().getState(params.id), svc.tags().countByRule(), svc.ruleTables().getCatalog(params.id)]);
      const entry = databaseEntry(params.id, text, result, rule.updated_at, known);
      const applied = catalogRow?.source === 'database' && catalogRow.content_sha256 === rule.content_sha256;
      return reply.status(created ? 201 : 200).send({ ...ruleDetail(entry, settingOf(params.id, state, clock.isoNow()), counts.get(params.id) ?? 0), effective: { source: 'database', version: entry.version }, applied });
    },
  });

  route({
    method: 'DELETE',
    url: '/ttp/rules/:id',
    summary: 'Remove the database definition; a lower store’s takes over',
    tag: 'ttp',
    access: 'admin',
    params: ruleIdParam,
    responses: {
      200: { description: 'removed; `effective` is what takes over (null when nothing does)', schema: z.object({ id: z.string(), removed: z.literal('database'), effective: effectiveSchema }) },
      404: { description: 'no database definition', schema: errorSchema },
    },
    handler: async ({ params, user }) => {
      const removed = await db.write((tx) => svc.ruleTables().deleteRule(tx, params.id));
      if (!removed) throw notFound(`no database definition of ${params.id}`);
      svc.ctx.log.info({ rule: params.id, by: user.username }, 'rule removed from the database store');
      return { id: params.id, removed: 'database' as const, effective: lowerEffective((await svc.rules.current()).get(params.id)) };
    },
  });
}
