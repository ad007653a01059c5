/**
 * The `TagFilter` of the tag reads (ttp.md §8.2) as WHERE clauses on `ttp_tags`, the same
 * on both dialects. UUIDs compare lowercased (PostgreSQL's `uuid` prints lowercase; SQLite
 * compares text), and a value that is not a UUID matches nothing rather than failing the
 * `uuid` cast on PostgreSQL. Time bounds are normalised to the stored ISO shape, so SQLite's
 * text comparison orders them as PostgreSQL's `timestamptz` does.
 */
import { sql, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Database } from '../schema.js';
import { isoFromDb } from '../time.js';
import { isUuid } from './attackers.js';
import type { TagFilter } from './ttp-types.js';

const NOTHING = sql<SqlBool>`1 = 0`;

/** `filter` applied to a query over `ttp_tags`. */
export function whereTags<O>(query: SelectQueryBuilder<Database, 'ttp_tags', O>, filter: TagFilter): SelectQueryBuilder<Database, 'ttp_tags', O> {
  let q = query;
  if (filter.attacker_ip !== undefined) q = q.where('attacker_ip', '=', filter.attacker_ip);
  if (filter.attacker_uuid !== undefined) {
    const uuid = filter.attacker_uuid;
    q = isUuid(uuid) ? q.where('attacker_uuid', '=', uuid.toLowerCase()) : q.where(NOTHING);
  }
  if (filter.attacker !== undefined) {
    const { uuid, ip } = filter.attacker;
    q = q.where((eb) => {
      const unlinked = eb.and([eb('attacker_uuid', 'is', null), eb('attacker_ip', '=', ip)]);
      return isUuid(uuid) ? eb.or([eb('attacker_uuid', '=', uuid.toLowerCase()), unlinked]) : unlinked;
    });
  }
  if (filter.session_id !== undefined) q = q.where('session_id', '=', filter.session_id);
  if (filter.technique !== undefined) {
    // a tag's technique_id is always the parent (§4.6), so a parent matches its
    // sub-techniques' tags too, through the (technique_id, observed_at) index
    q = filter.technique.includes('.') ? q.where('sub_technique_id', '=', filter.technique) : q.where('technique_id', '=', filter.technique);
  }
  if (filter.tactic !== undefined) q = q.where('tactic_id', '=', filter.tactic);
  if (filter.rule_id !== undefined) q = q.where('rule_id', '=', filter.rule_id);
  if (filter.min_confidence !== undefined) q = q.where('confidence', '>=', filter.min_confidence);
  if (filter.since !== undefined) q = q.where('observed_at', '>=', isoFromDb(filter.since));
  if (filter.until !== undefined) q = q.where('observed_at', '<=', isoFromDb(filter.until));
  if (filter.decky !== undefined) q = q.where('decky', '=', filter.decky);
  return q;
}
