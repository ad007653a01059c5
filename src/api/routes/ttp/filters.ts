/** A request's filters as a `TagFilter` (ttp.md §8.2): addresses normalised, tactics resolved, attackers looked up. */
import { isUuid, type Attacker, type Db, type TagFilter } from '../../../db/index.js';
import { normalizeIp } from '../../../ingest/normalize.js';
import type { Catalog } from '../../../ttp/index.js';
import { ApiError } from '../../errors.js';

const badQuery = (message: string): ApiError => new ApiError(400, 'validation_error', message);

/** An address in a query, in the one form tags store; 400 when it is not an address. */
export function queryIp(value: string): string {
  const ip = normalizeIp(value);
  if (ip === null) throw badQuery(`invalid query: attacker_ip: ${JSON.stringify(value)} is not an IP address`);
  return ip;
}

/** A tactic in a query (`TA0006` or `credential-access`) as its TA id; 400 when unknown. */
export function queryTactic(value: string, catalog: Catalog): string {
  const tactic = catalog.tactic(value);
  if (!tactic) throw badQuery(`invalid query: tactic: ${JSON.stringify(value)} is not an Enterprise tactic`);
  return tactic.id;
}

interface ScopeQuery {
  readonly attacker_ip?: string | undefined;
  readonly attacker_uuid?: string | undefined;
  readonly session_id?: string | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly min_confidence?: number | undefined;
}

/** The filter of the scope keys a query has (unset keys are left out, not undefined). */
export function scopeFilter(q: ScopeQuery): TagFilter {
  return {
    ...(q.attacker_ip === undefined ? {} : { attacker_ip: queryIp(q.attacker_ip) }),
    ...(q.attacker_uuid === undefined ? {} : { attacker_uuid: q.attacker_uuid.toLowerCase() }),
    ...(q.session_id === undefined ? {} : { session_id: q.session_id }),
    ...(q.since === undefined ? {} : { since: q.since }),
    ...(q.until === undefined ? {} : { until: q.until }),
    ...(q.min_confidence === undefined ? {} : { min_confidence: q.min_confidence }),
  };
}

export interface AttackerScope {
  /** The attacker's UUID, else the UUID or address asked for. */
  readonly key: string;
  readonly filter: TagFilter;
  readonly attacker: Attacker | undefined;
}

/**
 * An attacker (UUID or IP, as `GET /attackers/{id}`) as a tag filter: its linked tags and
 * the unlinked ones at its address when it has a row, else the tags of that UUID or
 * address alone; undefined when `id` is neither.
 */
export async function attackerScope(db: Db, id: string): Promise<AttackerScope | undefined> {
  const key = isUuid(id) ? id.toLowerCase() : normalizeIp(id);
  if (key === null) return undefined;
  const attacker = await db.repos.attackers.find(key);
  if (attacker) return { key: attacker.id, filter: { attacker: { uuid: attacker.id, ip: attacker.ip } }, attacker };
  return { key, filter: isUuid(key) ? { attacker_uuid: key } : { attacker_ip: key }, attacker };
}
