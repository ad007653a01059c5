/**
 * The rule tables (ttp.md §6.2): `ttp_rules` (the API's definitions), `ttp_rule_states`
 * (operators' settings, §5.4) and `ttp_rule_catalog` (what the worker runs). JSON columns
 * leave as arrays and objects; times leave as ISO with six digits.
 *
 * A state's `expires_at` is stored normalised (isoFromDb), and the expiry delete compares
 * the normalised value: on SQLite the comparison is textual, so `…T12:00:00Z` and
 * `…T12:00:00.000000Z` must be one text, as they are one `timestamptz` on PostgreSQL.
 */
import { sql, type Selectable } from 'kysely';
import type { TtpRuleCatalogTable, TtpRuleStatesTable, TtpRulesTable } from '../ttp-tables.js';
import { isoFromDb, isoFromDbOrNull, nowIso } from '../time.js';
import { affected, reader, type RepoContext } from './context.js';
import { jsonColumn } from './prepared.js';
import type { CandidateRecord, RuleCatalogRow, RuleStateRow, StoredRule, TtpRulesRepo } from './ttp-types.js';

function toRule(r: Selectable<TtpRulesTable>): StoredRule {
  return {
    rule_id: r.rule_id,
    yaml: r.yaml,
    version: r.version,
    content_sha256: r.content_sha256,
    created_at: isoFromDb(r.created_at),
    updated_at: isoFromDb(r.updated_at),
    updated_by: r.updated_by,
  };
}

function toState(r: Selectable<TtpRuleStatesTable>): RuleStateRow {
  return {
    rule_id: r.rule_id,
    state: r.state,
    confidence_max: r.confidence_max === null ? null : Number(r.confidence_max),
    expires_at: isoFromDbOrNull(r.expires_at),
    reason: r.reason,
    set_by: r.set_by,
    set_at: isoFromDb(r.set_at),
  };
}

function toCatalog(r: Selectable<TtpRuleCatalogTable>): RuleCatalogRow {
  return {
    rule_id: r.rule_id,
    source: r.source,
    version: r.version,
    content_sha256: r.content_sha256,
    yaml: r.yaml,
    name: r.name,
    title: r.title,
    status: r.status,
    inputs: jsonColumn<string[]>(r.inputs, []),
    emits: jsonColumn<Record<string, unknown>[]>(r.emits, []),
    candidates: jsonColumn<CandidateRecord[]>(r.candidates, []),
    last_error: jsonColumn<RuleCatalogRow['last_error']>(r.last_error, null),
    loaded_at: isoFromDbOrNull(r.loaded_at),
    instance: r.instance,
    updated_at: isoFromDb(r.updated_at),
  };
}

export function createTtpRulesRepo(ctx: RepoContext): TtpRulesRepo {
  return {
    async hashes(tx) {
      const rows = await reader(ctx, tx).selectFrom('ttp_rules').select(['rule_id', 'content_sha256']).execute();
      return new Map(rows.map((r) => [r.rule_id, r.content_sha256]));
    },

    async getRule(ruleId, tx) {
      const row = await reader(ctx, tx).selectFrom('ttp_rules').selectAll().where('rule_id', '=', ruleId).executeTakeFirst();
      return row === undefined ? undefined : toRule(row);
    },

    async getRules(ruleIds, tx) {
      if (ruleIds.length === 0) return [];
      const rows = await reader(ctx, tx).selectFrom('ttp_rules').selectAll().where('rule_id', 'in', [...ruleIds]).orderBy('rule_id').execute();
      return rows.map(toRule);
    },

    async putRule(tx, rule) {
      const now = nowIso(tx.clock);
      // one atomic upsert, so two writers racing on a new id cannot both insert
      const row = await tx.db
        .insertInto('ttp_rules')
        .values({ rule_id: rule.rule_id, yaml: rule.yaml, version: 1, content_sha256: rule.content_sha256, created_at: now, updated_at: now, updated_by: rule.updated_by })
        .onConflict((oc) =>
          oc.column('rule_id').doUpdateSet({
            yaml: (eb) => eb.ref('excluded.yaml'),
            version: sql<number>`ttp_rules.version + 1`,
            content_sha256: (eb) => eb.ref('excluded.content_sha256'),
            updated_at: (eb) => eb.ref('excluded.updated_at'),
            updated_by: (eb) => eb.ref('excluded.updated_by'),
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      // an insert writes version 1; a replace always writes more
      return { rule: toRule(row), created: row.version === 1 };
    },

    async deleteRule(tx, ruleId) {
      return affected(await tx.db.deleteFrom('ttp_rules').where('rule_id', '=', ruleId).executeTakeFirst()) > 0;
    },

    async listStates(tx) {
      return (await reader(ctx, tx).selectFrom('ttp_rule_states').selectAll().orderBy('rule_id').execute()).map(toState);
    },

    async getState(ruleId, tx) {
      const row = await reader(ctx, tx).selectFrom('ttp_rule_states').selectAll().where('rule_id', '=', ruleId).executeTakeFirst();
      return row === undefined ? undefined : toState(row);
    },

    async setState(tx, row) {
      const values = {
        rule_id: row.rule_id,
        state: row.state,
        confidence_max: row.confidence_max,
        expires_at: isoFromDbOrNull(row.expires_at),
        reason: row.reason,
        set_by: row.set_by,
        set_at: isoFromDb(row.set_at),
      };
      const { rule_id: _key, ...update } = values;
      await tx.db
        .insertInto('ttp_rule_states')
        .values(values)
        .onConflict((oc) => oc.column('rule_id').doUpdateSet(update))
        .execute();
    },

    async deleteState(tx, ruleId) {
      const row = await tx.db.deleteFrom('ttp_rule_states').where('rule_id', '=', ruleId).returningAll().executeTakeFirst();
      return row === undefined ? undefined : toState(row);
    },

    async deleteExpiredState(tx, ruleId, expiresAt) {
      const result = await tx.db.deleteFrom('ttp_rule_states').where('rule_id', '=', ruleId).where('expires_at', '=', isoFromDb(expiresAt)).executeTakeFirst();
      return affected(result) > 0;
    },

    async upsertCatalog(tx, row) {
      const values = {
        rule_id: row.rule_id,
        source: row.source,
        version: row.version,
        content_sha256: row.content_sha256,
        yaml: row.yaml,
        name: row.name,
        title: row.title,
        status: row.status,
        inputs: JSON.stringify(row.inputs),
        emits: JSON.stringify(row.emits),
        candidates: JSON.stringify(row.candidates),
        last_error: row.last_error === null ? null : JSON.stringify(row.last_error),
        loaded_at: row.loaded_at,
        instance: row.instance,
        updated_at: row.updated_at,
      };
      const { rule_id: _key, ...update } = values;
      await tx.db
        .insertInto('ttp_rule_catalog')
        .values(values)
        .onConflict((oc) => oc.column('rule_id').doUpdateSet(update))
        .execute();
    },

    async getCatalog(ruleId, tx) {
      const row = await reader(ctx, tx).selectFrom('ttp_rule_catalog').selectAll().where('rule_id', '=', ruleId).executeTakeFirst();
      return row === undefined ? undefined : toCatalog(row);
    },

    async listCatalog(tx) {
      return (await reader(ctx, tx).selectFrom('ttp_rule_catalog').selectAll().orderBy('rule_id').execute()).map(toCatalog);
    },
  };
}
