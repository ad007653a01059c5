/**
 * Operators' rule settings as the API reads them (ttp.md §5.4): no row means `enabled`, and
 * so does an expired row (the worker deletes it at expiry, but reads never wait for that).
 */
import type { Db, RuleStateRow } from '../../../db/index.js';
import type { Setting } from './schemas.js';

type State = RuleStateRow['state'];

function live(row: RuleStateRow | undefined, now: string): row is RuleStateRow {
  return row !== undefined && (row.expires_at === null || row.expires_at > now);
}

/** The state in force at `now`. */
export function stateAt(row: RuleStateRow | undefined, now: string): State {
  return live(row, now) ? row.state : 'enabled';
}

/** The setting in force at `now`, as the API shows it. */
export function settingOf(ruleId: string, row: RuleStateRow | undefined, now: string): Setting {
  if (live(row, now)) return { ...row };
  return { rule_id: ruleId, state: 'enabled', confidence_max: null, expires_at: null, reason: null, set_by: null, set_at: null };
}

/** Every stored setting by rule id. */
export async function settingsByRule(db: Db): Promise<Map<string, RuleStateRow>> {
  return new Map((await db.repos.ttpRules.listStates()).map((r) => [r.rule_id, r]));
}
