/**
 * An `attackers` row as the fold holds it in memory during one batch transaction:
 * loaded for the batch's IPs (correlate holds the `attackers` lock, so nobody else
 * changes the columns it owns meanwhile), updated in JS, and written back once.
 */
import type { Selectable } from 'kysely';
import { fromDbBool, fromDbInt, isoFromDb, type WriteTx } from '../db/index.js';
import type { AttackersTable } from '../db/correlate-tables.js';
import { chunks, fromDbJson, IN_LIST, jsonText, ROWS_PER_STATEMENT } from './sql.js';

export interface AttackerState {
  readonly id: string;
  readonly ip: string;
  /** Inserted by this batch. */
  readonly isNew: boolean;
  /** Counted rows before this batch (0: `attacker.observed` not yet sent). */
  readonly eventCountBefore: number;
  eventCount: number;
  firstSeen: string | null;
  lastSeen: string | null;
  commandCount: number;
  deckyCount: number;
  serviceCount: number;
  isTraversal: boolean;
  traversalPath: string | null;
  credentialCount: number;
  fingerprintCount: number;
  sessionCount: number;
  bountyCount: number;
  behaviorClass: string;
  behavior: unknown;
  behaviorComputedAt: string | null;
  scoredSummary: unknown;
  scoredPublishedAt: string | null;
  scoredDirty: boolean;
  readonly createdAt: string;
}

function toState(r: Selectable<AttackersTable>): AttackerState {
  const eventCount = fromDbInt(r.event_count);
  return {
    id: r.id,
    ip: r.ip,
    isNew: false,
    eventCountBefore: eventCount,
    eventCount,
    firstSeen: r.first_seen === null ? null : isoFromDb(r.first_seen),
    lastSeen: r.last_seen === null ? null : isoFromDb(r.last_seen),
    commandCount: r.command_count,
    deckyCount: r.decky_count,
    serviceCount: r.service_count,
    isTraversal: fromDbBool(r.is_traversal),
    traversalPath: r.traversal_path,
    credentialCount: r.credential_count,
    fingerprintCount: r.fingerprint_count,
    sessionCount: r.session_count,
    bountyCount: r.bounty_count,
    behaviorClass: r.behavior_class,
    behavior: fromDbJson(r.behavior),
    behaviorComputedAt: r.behavior_computed_at === null ? null : isoFromDb(r.behavior_computed_at),
    scoredSummary: fromDbJson(r.scored_summary),
    scoredPublishedAt: r.scored_published_at === null ? null : isoFromDb(r.scored_published_at),
    scoredDirty: fromDbBool(r.scored_dirty),
    createdAt: isoFromDb(r.created_at),
  };
}

/** A row for an IP never seen: no counted rows yet. */
export function newAttackerState(id: string, ip: string, now: string): AttackerState {
  return {
    id,
    ip,
    isNew: true,
    eventCountBefore: 0,
    eventCount: 0,
    firstSeen: null,
    lastSeen: null,
    commandCount: 0,
    deckyCount: 0,
    serviceCount: 0,
    isTraversal: false,
    traversalPath: null,
    credentialCount: 0,
    fingerprintCount: 0,
    sessionCount: 0,
    bountyCount: 0,
    behaviorClass: 'unknown',
    behavior: null,
    behaviorComputedAt: null,
    scoredSummary: null,
    scoredPublishedAt: null,
    scoredDirty: false,
    createdAt: now,
  };
}

/** The stored rows of these IPs, by IP. */
export async function loadAttackersByIp(tx: WriteTx, ips: readonly string[]): Promise<Map<string, AttackerState>> {
  const out = new Map<string, AttackerState>();
  for (const part of chunks(ips, IN_LIST)) {
    const rows = await tx.db.selectFrom('attackers').selectAll().where('ip', 'in', part).execute();
    for (const r of rows) out.set(r.ip, toState(r));
  }
  return out;
}

/** Stored rows by id (the dirty sweep). */
export async function loadAttackersById(tx: WriteTx, ids: readonly string[]): Promise<AttackerState[]> {
  const out: AttackerState[] = [];
  for (const part of chunks(ids, IN_LIST)) out.push(...(await tx.db.selectFrom('attackers').selectAll().where('id', 'in', part).orderBy('id').execute()).map(toState));
  return out;
}

function toRow(tx: WriteTx, s: AttackerState, now: string) {
  const bool = (v: boolean): boolean | number => (tx.dialect === 'sqlite' ? (v ? 1 : 0) : v);
  return {
    id: s.id,
    ip: s.ip,
    first_seen: s.firstSeen,
    last_seen: s.lastSeen,
    event_count: s.eventCount,
    decky_count: s.deckyCount,
    service_count: s.serviceCount,
    is_traversal: bool(s.isTraversal),
    traversal_path: s.traversalPath,
    credential_count: s.credentialCount,
    fingerprint_count: s.fingerprintCount,
    session_count: s.sessionCount,
    command_count: s.commandCount,
    bounty_count: s.bountyCount,
    behavior_class: s.behaviorClass,
    behavior: s.behavior === null ? null : jsonText(s.behavior),
    behavior_computed_at: s.behaviorComputedAt,
    scored_summary: s.scoredSummary === null ? null : jsonText(s.scoredSummary),
    scored_published_at: s.scoredPublishedAt,
    scored_dirty: bool(s.scoredDirty),
    created_at: s.createdAt,
    updated_at: now,
  };
}

/**
 * Inserts the new rows as they stand (so targets and sessions may reference them).
 * A new attacker's `signal_version` starts at 1, so `cluster` (§6.4) picks it up.
 */
export async function insertAttackers(tx: WriteTx, states: readonly AttackerState[], now: string): Promise<void> {
  for (const part of chunks(states, ROWS_PER_STATEMENT)) {
    if (part.length === 0) continue;
    await tx.db
      .insertInto('attackers')
      .values(part.map((s) => ({ ...toRow(tx, s, now), signal_version: 1 })))
      .execute();
  }
}

/** Writes back every column correlate owns (identity, intel and rotation columns are left alone). */
export async function saveAttackers(tx: WriteTx, states: readonly AttackerState[], now: string): Promise<void> {
  for (const part of chunks(states, ROWS_PER_STATEMENT)) {
    if (part.length === 0) continue;
    await tx.db
      .insertInto('attackers')
      .values(part.map((s) => toRow(tx, s, now)))
      .onConflict((oc) =>
        oc.column('ip').doUpdateSet((eb) => ({
          first_seen: eb.ref('excluded.first_seen'),
          last_seen: eb.ref('excluded.last_seen'),
          event_count: eb.ref('excluded.event_count'),
          decky_count: eb.ref('excluded.decky_count'),
          service_count: eb.ref('excluded.service_count'),
          is_traversal: eb.ref('excluded.is_traversal'),
          traversal_path: eb.ref('excluded.traversal_path'),
          credential_count: eb.ref('excluded.credential_count'),
          fingerprint_count: eb.ref('excluded.fingerprint_count'),
          session_count: eb.ref('excluded.session_count'),
          command_count: eb.ref('excluded.command_count'),
          bounty_count: eb.ref('excluded.bounty_count'),
          behavior_class: eb.ref('excluded.behavior_class'),
          behavior: eb.ref('excluded.behavior'),
          behavior_computed_at: eb.ref('excluded.behavior_computed_at'),
          scored_summary: eb.ref('excluded.scored_summary'),
          scored_published_at: eb.ref('excluded.scored_published_at'),
          scored_dirty: eb.ref('excluded.scored_dirty'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

/**
 * A rebuild's reset (rebuild.ts): every row's counted columns back to a new row's, so the
 * replay counts from zero. The id, address, creation time, what other workers own
 * (identity, intel, rotation, cluster versions) and what was last published as
 * `attacker.scored` stay.
 */
export async function resetAttackers(tx: WriteTx, now: string): Promise<void> {
  const { id: _id, ip: _ip, created_at: _created, scored_summary: _summary, scored_published_at: _published, ...counted } = toRow(tx, newAttackerState('', '', now), now);
  await tx.db.updateTable('attackers').set(counted).execute();
}
