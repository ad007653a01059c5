/**
 * Reading what `correlate` derived (analysis.md §1.6, §2): attacker rows, their targets,
 * sessions and commands, and their credentials by kind. Only `correlate` writes these
 * tables (src/correlate); this is the read side the API uses, dialect differences hidden.
 */
import { sql, type Selectable } from 'kysely';
import type { AttackerSessionsTable, AttackersTable } from '../correlate-tables.js';
import { fromDbBool, fromDbInt } from '../dialect.js';
import { isoFromDb, isoFromDbOrNull } from '../time.js';
import { reader, type RepoContext } from './context.js';
import { toLogRow, type LogRow } from './logs.js';

export type AttackerSort = 'recent' | 'active' | 'traversals' | 'first_seen';
export const ATTACKER_SORTS: readonly AttackerSort[] = ['recent', 'active', 'traversals', 'first_seen'];

export interface Attacker {
  id: string;
  ip: string;
  identity_id: string | null;
  first_seen: string | null;
  last_seen: string | null;
  event_count: number;
  decky_count: number;
  service_count: number;
  is_traversal: boolean;
  traversal_path: string | null;
  credential_count: number;
  fingerprint_count: number;
  session_count: number;
  command_count: number;
  bounty_count: number;
  behavior_class: string;
  behavior: Record<string, unknown> | null;
  behavior_computed_at: string | null;
  rotation_count: number;
  last_rotation_at: string | null;
  asn: number | null;
  as_name: string | null;
  country_code: string | null;
  created_at: string;
  updated_at: string;
}

export interface AttackerTarget {
  decky: string;
  service: string;
  first_seen: string;
  last_seen: string;
  event_count: number;
  interaction_count: number;
  noise_count: number;
}

export interface AttackerSession {
  id: string;
  log_id: number;
  attacker_id: string;
  session_id: string | null;
  decky: string;
  service: string;
  started_at: string;
  ended_at: string;
  duration_s: number;
  command_count: number;
  commands: Array<{ id: string; command_text: string; ts: string }>;
  commands_truncated: boolean;
  shard_path: string | null;
  evidence_ref: string;
}

export interface AttackerListQuery {
  readonly limit: number;
  readonly offset: number;
  readonly sort: AttackerSort;
  readonly ip?: string;
  /** Matches the start of the address (indexed). */
  readonly ipPrefix?: string;
  readonly service?: string;
  readonly decky?: string;
  readonly traversal?: boolean;
  readonly identityId?: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly total: number;
}

export interface AttackersRepo {
  list(q: AttackerListQuery): Promise<Page<Attacker>>;
  /** By UUID, or by address when `idOrIp` is not a UUID. */
  find(idOrIp: string): Promise<Attacker | undefined>;
  findByIp(ip: string): Promise<Attacker | undefined>;
  targets(attackerId: string): Promise<AttackerTarget[]>;
  sessions(attackerId: string, page: { limit: number; offset: number }): Promise<Page<AttackerSession>>;
  session(id: string): Promise<AttackerSession | undefined>;
  /** The address's log rows of these event types, newest first (`logs(attacker_ip, id)`). */
  logRows(ip: string, eventTypes: readonly string[], page: { limit: number; offset: number }): Promise<Page<LogRow>>;
  /** Credential rows of the address per `secret_kind` (deckies under `internalPrefix` left out). */
  credentialsByKind(ip: string, internalPrefix: string): Promise<Record<string, number>>;
  /** Log rows of one event type on these deckies in `[since, until]`, by timestamp then id (`logs(decky, event_type, timestamp)`). */
  deckyEvents(deckies: readonly string[], eventType: string, since: string, until: string): Promise<LogRow[]>;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID_RE.test(text);
}

function json<T>(value: unknown, fallback: T): T {
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as T;
    } catch {
      return fallback;
    }
  }
  return (value ?? fallback) as T;
}

export function toAttacker(r: Selectable<AttackersTable>): Attacker {
  return {
    id: r.id,
    ip: r.ip,
    identity_id: r.identity_id,
    first_seen: isoFromDbOrNull(r.first_seen),
    last_seen: isoFromDbOrNull(r.last_seen),
    event_count: fromDbInt(r.event_count),
    decky_count: r.decky_count,
    service_count: r.service_count,
    is_traversal: fromDbBool(r.is_traversal),
    traversal_path: r.traversal_path,
    credential_count: r.credential_count,
    fingerprint_count: r.fingerprint_count,
    session_count: r.session_count,
    command_count: r.command_count,
    bounty_count: r.bounty_count,
    behavior_class: r.behavior_class,
    behavior: json<Record<string, unknown> | null>(r.behavior, null),
    behavior_computed_at: isoFromDbOrNull(r.behavior_computed_at),
    rotation_count: r.rotation_count,
    last_rotation_at: isoFromDbOrNull(r.last_rotation_at),
    asn: r.asn,
    as_name: r.as_name,
    country_code: r.country_code,
    created_at: isoFromDb(r.created_at),
    updated_at: isoFromDb(r.updated_at),
  };
}

function toSession(r: Selectable<AttackerSessionsTable>): AttackerSession {
  return {
    id: r.id,
    log_id: fromDbInt(r.log_id),
    attacker_id: r.attacker_id,
    session_id: r.session_id,
    decky: r.decky,
    service: r.service,
    started_at: isoFromDb(r.started_at),
    ended_at: isoFromDb(r.ended_at),
    duration_s: Number(r.duration_s),
    command_count: r.command_count,
    commands: json(r.commands, []),
    commands_truncated: fromDbBool(r.commands_truncated),
    shard_path: r.shard_path,
    evidence_ref: r.evidence_ref,
  };
}

export function createAttackersRepo(ctx: RepoContext): AttackersRepo {
  const db = (): ReturnType<typeof reader> => reader(ctx);

  const filtered = (q: AttackerListQuery) => {
    let query = db().selectFrom('attackers');
    if (q.ip !== undefined) query = query.where('ip', '=', q.ip);
    if (q.ipPrefix !== undefined && q.ipPrefix !== '') {
      // a range on SQLite's binary collation; LIKE with pattern ops on PostgreSQL (both indexed)
      const prefix = q.ipPrefix;
      query =
        ctx.dialect === 'postgres'
          ? query.where('ip', 'like', `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
          : query.where('ip', '>=', prefix).where('ip', '<', `${prefix}\u{10ffff}`);
    }
    if (q.traversal !== undefined) query = query.where('is_traversal', '=', ctx.dialect === 'sqlite' ? (q.traversal ? 1 : 0) : q.traversal);
    if (q.identityId !== undefined) query = isUuid(q.identityId) ? query.where('identity_id', '=', q.identityId) : query.where(sql<boolean>`1 = 0`);
    if (q.service !== undefined || q.decky !== undefined) {
      query = query.where((eb) => {
        let sub = eb.selectFrom('attacker_targets').select(sql.lit(1).as('one')).whereRef('attacker_targets.attacker_id', '=', 'attackers.id');
        if (q.service !== undefined) sub = sub.where('attacker_targets.service', '=', q.service);
        if (q.decky !== undefined) sub = sub.where('attacker_targets.decky', '=', q.decky);
        return eb.exists(sub);
      });
    }
    return query;
  };

  return {
    async list(q) {
      let query = filtered(q).selectAll('attackers');
      // nulls (internal-only attackers) last, ties by id: results depend on contents only
      const nullsLast = (col: 'last_seen' | 'first_seen') => sql`case when ${sql.ref(col)} is null then 1 else 0 end`;
      if (q.sort === 'recent') query = query.orderBy(nullsLast('last_seen')).orderBy('last_seen', 'desc');
      else if (q.sort === 'first_seen') query = query.orderBy(nullsLast('first_seen')).orderBy('first_seen', 'desc');
      else if (q.sort === 'active') query = query.orderBy('event_count', 'desc').orderBy(nullsLast('last_seen')).orderBy('last_seen', 'desc');
      else query = query.orderBy('is_traversal', 'desc').orderBy('decky_count', 'desc').orderBy(nullsLast('last_seen')).orderBy('last_seen', 'desc');
      const rows = await query.orderBy('id').limit(q.limit).offset(q.offset).execute();
      const count = await filtered(q).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return { items: rows.map(toAttacker), total: fromDbInt(count.n) };
    },

    async find(idOrIp) {
      if (isUuid(idOrIp)) {
        const row = await db().selectFrom('attackers').selectAll().where('id', '=', idOrIp.toLowerCase()).executeTakeFirst();
        if (row) return toAttacker(row);
      }
      return this.findByIp(idOrIp);
    },

    async findByIp(ip) {
      const row = await db().selectFrom('attackers').selectAll().where('ip', '=', ip).executeTakeFirst();
      return row ? toAttacker(row) : undefined;
    },

    async targets(attackerId) {
      if (!isUuid(attackerId)) return [];
      const rows = await db().selectFrom('attacker_targets').selectAll().where('attacker_id', '=', attackerId).orderBy('first_seen').orderBy('decky').orderBy('service').execute();
      return rows.map((r) => ({
        decky: r.decky,
        service: r.service,
        first_seen: isoFromDb(r.first_seen),
        last_seen: isoFromDb(r.last_seen),
        event_count: fromDbInt(r.event_count),
        interaction_count: fromDbInt(r.interaction_count),
        noise_count: fromDbInt(r.noise_count),
      }));
    },

    async sessions(attackerId, page) {
      if (!isUuid(attackerId)) return { items: [], total: 0 };
      const rows = await db().selectFrom('attacker_sessions').selectAll().where('attacker_id', '=', attackerId).orderBy('started_at', 'desc').orderBy('id').limit(page.limit).offset(page.offset).execute();
      const count = await db().selectFrom('attacker_sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('attacker_id', '=', attackerId).executeTakeFirstOrThrow();
      return { items: rows.map(toSession), total: fromDbInt(count.n) };
    },

    async logRows(ip, eventTypes, page) {
      if (eventTypes.length === 0) return { items: [], total: 0 };
      const base = () => db().selectFrom('logs').where('attacker_ip', '=', ip).where('event_type', 'in', [...eventTypes]);
      const rows = await base().selectAll().orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute();
      const count = await base().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return { items: rows.map(toLogRow), total: fromDbInt(count.n) };
    },

    async credentialsByKind(ip, internalPrefix) {
      const rows = await db()
        .selectFrom('credentials')
        .select((eb) => ['secret_kind', eb.fn.countAll<number>().as('n')])
        .where('attacker_ip', '=', ip)
        .where(sql<boolean>`substr(decky, 1, ${internalPrefix.length}) <> ${internalPrefix}`)
        .groupBy('secret_kind')
        .orderBy('secret_kind')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.secret_kind, fromDbInt(r.n)]));
    },

    async deckyEvents(deckies, eventType, since, until) {
      if (deckies.length === 0) return [];
      const rows = await db()
        .selectFrom('logs')
        .selectAll()
        .where('decky', 'in', [...deckies])
        .where('event_type', '=', eventType)
        .where('timestamp', '>=', since)
        .where('timestamp', '<=', until)
        .orderBy('timestamp')
        .orderBy('id')
        .execute();
      return rows.map(toLogRow);
    },

    async session(id) {
      if (!isUuid(id)) return undefined;
      const row = await db().selectFrom('attacker_sessions').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst();
      return row ? toSession(row) : undefined;
    },
  };
}
