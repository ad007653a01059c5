/**
 * Operators' rule states (ttp.md §5.4, §7.4): `PUT /ttp/rules/{id}/state` disables or
 * clips a rule, optionally until `expires_at`; `DELETE` goes back to `enabled`. Each
 * commits the `ttp_rule_states` row and journals `ttp.rule.state.<id>` in one transaction,
 * then publishes; the worker picks the setting up on its next poll.
 */
import { z } from 'zod';
import { topics, type Clock } from '../../../bus/index.js';
import { RULE_STATES } from '../../../bus/topics/schemas/ttp.js';
import { journalAndPublish, type RuleStateRow, type WriteTx } from '../../../db/index.js';
import { notFound } from '../../errors.js';
import { errorSchema } from '../common.js';
import { queryTime } from '../paging.js';
import type { TtpRoute } from './route.js';
import { ruleIdParam, settingSchema } from './schemas.js';
import type { TtpServices } from './services.js';
import { stateAt } from './settings.js';

/** The longest a temporary setting may last. */
const MAX_EXPIRY_MS = 30 * 86_400_000;

function stateBody(clock: Clock) {
  return z
    .object({
      state: z.enum(RULE_STATES),
      confidence_max: z.number().min(0.3).max(1).nullable().optional().describe('clipped only: the cap on emitted confidence, 0.3–1'),
      expires_at: queryTime.nullable().optional().describe('future, at most 30 days ahead; the rule then goes back to enabled'),
      reason: z.string().max(512).nullable().optional(),
    })
    .superRefine((b, ctx) => {
      const clip = b.confidence_max ?? null;
      if (b.state === 'clipped' && clip === null) ctx.addIssue({ code: 'custom', path: ['confidence_max'], message: 'a clipped rule needs confidence_max in [0.3, 1]' });
      if (b.state !== 'clipped' && clip !== null) ctx.addIssue({ code: 'custom', path: ['confidence_max'], message: 'confidence_max applies to clipped rules only' });
      if (b.expires_at != null) {
        const at = Date.parse(b.expires_at);
        if (at <= clock.now()) ctx.addIssue({ code: 'custom', path: ['expires_at'], message: 'expires_at must be in the future' });
        else if (at > clock.now() + MAX_EXPIRY_MS) ctx.addIssue({ code: 'custom', path: ['expires_at'], message: 'expires_at may be at most 30 days ahead' });
      }
    });
}

export function registerRuleStateRoutes(route: TtpRoute, svc: TtpServices): void {
  const { db, bus, clock } = svc.ctx;

  /** Journals, in `tx`, the change `row` makes over `previous` (§7.4). */
  const journal = (tx: WriteTx, row: RuleStateRow, previous: RuleStateRow | undefined): Promise<unknown> =>
    journalAndPublish(tx, bus, topics.ttpRuleState(row.rule_id), { ...row, previous_state: stateAt(previous, row.set_at), auto_revert: false });

  /** A rule of the catalogue, the pack or the database store. */
  const known = async (id: string): Promise<boolean> => (await svc.rules.current()).has(id) || (await svc.ruleTables().getRule(id)) !== undefined;

  route({
    method: 'PUT',
    url: '/ttp/rules/:id/state',
    summary: 'Disable or clip a rule, optionally until expires_at; publishes ttp.rule.state.<id>',
    tag: 'ttp',
    access: 'admin',
    params: ruleIdParam,
    body: stateBody(clock),
    responses: {
      200: { description: 'the setting', schema: settingSchema },
      404: { description: 'no such rule', schema: errorSchema },
      422: { description: 'clipped without confidence_max in [0.3, 1], expires_at past or over 30 days ahead, reason over 512', schema: errorSchema },
    },
    handler: async ({ params, body, user }) => {
      if (!(await known(params.id))) throw notFound(`no rule ${params.id}`);
      const row: RuleStateRow = { rule_id: params.id, state: body.state, confidence_max: body.confidence_max ?? null, expires_at: body.expires_at ?? null, reason: body.reason ?? null, set_by: user.username, set_at: clock.isoNow() };
      await db.write(async (tx) => {
        const previous = await svc.ruleTables().getState(params.id, tx);
        await svc.ruleTables().setState(tx, row);
        await journal(tx, row, previous);
      });
      svc.ctx.log.info({ rule: params.id, state: row.state, by: user.username }, 'rule state set');
      return row;
    },
  });

  route({
    method: 'DELETE',
    url: '/ttp/rules/:id/state',
    summary: 'Remove a rule’s setting (it is enabled again); publishes ttp.rule.state.<id>',
    tag: 'ttp',
    access: 'admin',
    params: ruleIdParam,
    responses: { 200: { description: 'the setting now: enabled', schema: settingSchema }, 404: { description: 'no setting', schema: errorSchema } },
    handler: async ({ params, user }) => {
      const row: RuleStateRow = { rule_id: params.id, state: 'enabled', confidence_max: null, expires_at: null, reason: null, set_by: user.username, set_at: clock.isoNow() };
      const removed = await db.write(async (tx) => {
        const previous = await svc.ruleTables().deleteState(tx, params.id);
        if (previous) await journal(tx, row, previous);
        return previous;
      });
      if (!removed) throw notFound(`${params.id} has no setting`);
      svc.ctx.log.info({ rule: params.id, by: user.username }, 'rule state removed');
      return row;
    },
  });
}
