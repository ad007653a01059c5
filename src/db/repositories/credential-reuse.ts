/**
 * Reading credential-reuse findings (analysis.md §3): ranked by `target_count`, then
 * `last_seen`, newest first; one finding with its targets, attackers and
 * `attempt_count` (summed from ingest's `credentials` when read, never stored).
 */
import type { Selectable } from 'kysely';
import type { CredentialReuseTable } from '../correlate-tables.js';
import { fromDbInt } from '../dialect.js';
import { isoFromDb } from '../time.js';
import { isUuid, type Page } from './attackers.js';
import { reader, type RepoContext } from './context.js';

export interface ReuseFinding {
  id: string;
  secret_sha256: string;
  secret_kind: string;
  principal: string | null;
  target_count: number;
  attacker_count: number;
  confidence: number;
  first_seen: string;
  last_seen: string;
  detected_at: string;
  updated_at: string;
}

export interface ReuseFindingDetail extends ReuseFinding {
  targets: Array<{ decky: string; service: string; first_seen: string; last_seen: string }>;
  attackers: Array<{ attacker_ip: string; attacker_id: string | null }>;
  attempt_count: number;
}

export interface ReuseListQuery {
  readonly limit: number;
  readonly offset: number;
  readonly minTargets?: number;
  readonly secretKind?: string;
}

export interface CredentialReuseRepo {
  list(q: ReuseListQuery): Promise<Page<ReuseFinding>>;
  get(id: string): Promise<ReuseFindingDetail | undefined>;
}

function toFinding(r: Selectable<CredentialReuseTable>): ReuseFinding {
  return {
    id: r.id,
    secret_sha256: r.secret_sha256,
    secret_kind: r.secret_kind,
    principal: r.principal,
    target_count: r.target_count,
    attacker_count: r.attacker_count,
    confidence: Number(r.confidence),
    first_seen: isoFromDb(r.first_seen),
    last_seen: isoFromDb(r.last_seen),
    detected_at: isoFromDb(r.detected_at),
    updated_at: isoFromDb(r.updated_at),
  };
}

export function createCredentialReuseRepo(ctx: RepoContext): CredentialReuseRepo {
  const filtered = (q: ReuseListQuery) => {
    let query = reader(ctx).selectFrom('credential_reuse');
    if (q.minTargets !== undefined) query = query.where('target_count', '>=', q.minTargets);
    if (q.secretKind !== undefined) query = query.where('secret_kind', '=', q.secretKind);
    return query;
  };
  return {
    async list(q) {
      const rows = await filtered(q).selectAll().orderBy('target_count', 'desc').orderBy('last_seen', 'desc').orderBy('id').limit(q.limit).offset(q.offset).execute();
      const count = await filtered(q).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return { items: rows.map(toFinding), total: fromDbInt(count.n) };
    },

    async get(id) {
      if (!isUuid(id)) return undefined;
      const db = reader(ctx);
      const row = await db.selectFrom('credential_reuse').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst();
      if (!row) return undefined;
      const targets = await db.selectFrom('credential_reuse_targets').selectAll().where('reuse_id', '=', row.id).orderBy('decky').orderBy('service').execute();
      const attackers = await db.selectFrom('credential_reuse_attackers').selectAll().where('reuse_id', '=', row.id).orderBy('attacker_ip').execute();
      let attempts = reader(ctx)
        .selectFrom('credentials')
        .select((eb) => eb.fn.sum<number | string | null>('count').as('n'))
        .where('secret_sha256', '=', row.secret_sha256)
        .where('secret_kind', '=', row.secret_kind);
      if (row.principal_key !== '*') attempts = row.principal_key === '' ? attempts.where((eb) => eb.or([eb('principal', 'is', null), eb('principal', '=', '')])) : attempts.where('principal', '=', row.principal_key);
      // only the targets of the finding: internal deckies never are
      const targetKeys = new Set(targets.map((t) => `${t.decky}\u0000${t.service}`));
      const perTarget = await attempts.select(['decky', 'service']).groupBy(['decky', 'service']).execute();
      const attemptCount = perTarget.filter((r) => targetKeys.has(`${r.decky}\u0000${r.service}`)).reduce((a, r) => a + (r.n === null ? 0 : Number(r.n)), 0);
      return {
        ...toFinding(row),
        targets: targets.map((t) => ({ decky: t.decky, service: t.service, first_seen: isoFromDb(t.first_seen), last_seen: isoFromDb(t.last_seen) })),
        attackers: attackers.map((a) => ({ attacker_ip: a.attacker_ip, attacker_id: a.attacker_id })),
        attempt_count: attemptCount,
      };
    },
  };
}
