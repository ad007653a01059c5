/** Finding an attacker row by address, in the one form ingest stores (CORRECTIONS #7.13, #7.15). */
import type { Attacker, Db } from '../db/index.js';
import { normalizeIp } from '../ingest/normalize.js';

/** The attacker row of `ip` (any spelling of the address), undefined when none or not an address. */
export async function findAttackerByIp(db: Db, ip: string): Promise<Attacker | undefined> {
  const normal = normalizeIp(ip);
  return normal === null ? undefined : db.repos.attackers.findByIp(normal);
}
