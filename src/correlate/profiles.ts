/**
 * Folding log rows into attacker profiles (analysis.md §1.2), one batch per transaction:
 *
 * 1. rows without `attacker_ip` and `decky_mutated` markers are skipped; rows of internal
 *    deckies (§0.4) or `internal:*` sources only create a missing attacker;
 * 2. per IP: counted rows, min/max timestamp, per (decky, service) counts split into
 *    interactions, noise and scans;
 * 3. `attacker_targets` upserted by increment, sessions (§2) inserted, then counts,
 *    traversal and behaviour recomputed for touched attackers (derived.ts, deckies.ts)
 *    and `attacker.scored` decided (scored.ts); new attackers are inserted (first on
 *    PostgreSQL, whole at the end on SQLite: deferForeignKeys) and the others saved;
 * 4. an attacker's first counted row queues `attacker.observed`: the count moving off 0
 *    is in the same transaction as the cursor, so nothing re-fires it.
 */
import { sql } from 'kysely';
import type { WriteTx } from '../db/index.js';
import type { AnalysisConfig } from '../config/index.js';
import { sqlitePreparedIn, uuidv7 } from '../db/repositories/prepared.js';
import { insertAttackers, loadAttackersByIp, newAttackerState, saveAttackers, type AttackerState } from './attacker-state.js';
import { appendedLayouts } from './deckies.js';
import { refreshDerived } from './derived.js';
import type { LogFacts } from './inputs.js';
import { decideScored, settleReplayed, type ScoredPayload } from './scored.js';
import { foldSessions } from './sessions.js';
import { chunks, greatest, least, ROWS_PER_STATEMENT } from './sql.js';
import { activityKind, isCommandEvent, isInternalRow, MUTATION_EVENT_TYPE } from './vocabulary.js';

/** `attacker.observed` (analysis.md §0.6: + `attacker_uuid`, once per attacker ever). */
export type ObservedPayload = {
  attacker_uuid: string;
  attacker_ip: string;
  decky: string;
  service: string;
  event_type: string;
  first_seen: string;
};

/** What a folded batch changed, for the events after the commit and the counters. */
export interface LogBatchEffects {
  readonly observed: ObservedPayload[];
  readonly scored: ScoredPayload[];
  readonly created: number;
  readonly touched: number;
  /** Rows that counted (not internal, not markers, with an IP). */
  readonly counted: number;
  readonly sessions: number;
}

interface TargetDelta {
  readonly decky: string;
  readonly service: string;
  firstSeen: string;
  lastSeen: string;
  events: number;
  interactions: number;
  noise: number;
}

interface IpGroup {
  readonly ip: string;
  readonly counted: LogFacts[];
}

function groupByIp(rows: readonly LogFacts[], prefix: string): Map<string, IpGroup> {
  const groups = new Map<string, IpGroup>();
  for (const row of rows) {
    if (row.attackerIp === null || row.attackerIp === '' || row.eventType === MUTATION_EVENT_TYPE) continue;
    let g = groups.get(row.attackerIp);
    if (!g) groups.set(row.attackerIp, (g = { ip: row.attackerIp, counted: [] }));
    if (!isInternalRow(row, prefix)) g.counted.push(row);
  }
  return groups;
}

function targetDeltas(rows: readonly LogFacts[]): TargetDelta[] {
  const byKey = new Map<string, TargetDelta>();
  for (const row of rows) {
    if (row.decky === null || row.decky === '') continue;
    const service = row.service ?? '';
    const key = `${row.decky}\u0000${service}`;
    let t = byKey.get(key);
    if (!t) byKey.set(key, (t = { decky: row.decky, service, firstSeen: row.timestamp, lastSeen: row.timestamp, events: 0, interactions: 0, noise: 0 }));
    t.events++;
    if (row.timestamp < t.firstSeen) t.firstSeen = row.timestamp;
    if (row.timestamp > t.lastSeen) t.lastSeen = row.timestamp;
    const kind = activityKind(row.eventType);
    if (kind === 'interaction') t.interactions++;
    else if (kind === 'noise') t.noise++;
  }
  return [...byKey.values()];
}

/** upsertTargets' statement, one row at a time (SQLite's scalar min/max). */
const UPSERT_TARGET = `insert into attacker_targets (attacker_id, decky, service, first_seen, last_seen, event_count, interaction_count, noise_count)
  values (?, ?, ?, ?, ?, ?, ?, ?)
  on conflict (attacker_id, decky, service) do update set
    first_seen = min(attacker_targets.first_seen, excluded.first_seen),
    last_seen = max(attacker_targets.last_seen, excluded.last_seen),
    event_count = attacker_targets.event_count + excluded.event_count,
    interaction_count = attacker_targets.interaction_count + excluded.interaction_count,
    noise_count = attacker_targets.noise_count + excluded.noise_count`;

async function upsertTargets(tx: WriteTx, rows: ReadonlyArray<{ attackerId: string; t: TargetDelta }>): Promise<void> {
  const upsert = sqlitePreparedIn(tx, UPSERT_TARGET);
  if (upsert) {
    for (const { attackerId, t } of rows) upsert.run(attackerId, t.decky, t.service, t.firstSeen, t.lastSeen, t.events, t.interactions, t.noise);
    return;
  }
  for (const part of chunks(rows, ROWS_PER_STATEMENT)) {
    await tx.db
      .insertInto('attacker_targets')
      .values(
        part.map(({ attackerId, t }) => ({
          attacker_id: attackerId,
          decky: t.decky,
          service: t.service,
          first_seen: t.firstSeen,
          last_seen: t.lastSeen,
          event_count: t.events,
          interaction_count: t.interactions,
          noise_count: t.noise,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['attacker_id', 'decky', 'service']).doUpdateSet((eb) => ({
          first_seen: least(tx.dialect, eb.ref('attacker_targets.first_seen'), eb.ref('excluded.first_seen')),
          last_seen: greatest(tx.dialect, eb.ref('attacker_targets.last_seen'), eb.ref('excluded.last_seen')),
          event_count: sql`attacker_targets.event_count + excluded.event_count`,
          interaction_count: sql`attacker_targets.interaction_count + excluded.interaction_count`,
          noise_count: sql`attacker_targets.noise_count + excluded.noise_count`,
        })),
      )
      .execute();
  }
}

/**
 * SQLite: defers this transaction's foreign-key checks to its commit, so that new
 * attackers can be inserted once, whole, after the targets and sessions that reference
 * them: inserted first and saved again, every new row grew in place. PostgreSQL's keys
 * are not deferrable (there the rows go in first). Returns whether it deferred them.
 */
function deferForeignKeys(tx: WriteTx): boolean {
  const pragma = sqlitePreparedIn(tx, 'pragma defer_foreign_keys = on');
  pragma?.run();
  return pragma !== undefined;
}

function observedPayload(s: AttackerState, first: LogFacts): ObservedPayload {
  return { attacker_uuid: s.id, attacker_ip: s.ip, decky: first.decky ?? '', service: first.service ?? '', event_type: first.eventType ?? '', first_seen: first.timestamp };
}

/**
 * Folds `rows` (in id order) in `tx`. The caller advances the cursor in the same
 * transaction and publishes the effects after the commit. Under `replay` (a rebuild,
 * rebuild.ts) nothing is queued: the rows were folded and announced before. Behaviour is
 * then recomputed at every batch, so the rebuilt value is the latest rows' whatever the
 * passes' timing was.
 */
export async function foldLogRows(tx: WriteTx, rows: readonly LogFacts[], settings: AnalysisConfig, replay = false): Promise<LogBatchEffects> {
  const now = tx.clock.isoNow();
  const groups = groupByIp(rows, settings.internalDeckyPrefix);
  if (groups.size === 0) return { observed: [], scored: [], created: 0, touched: 0, counted: 0, sessions: 0 };
  const ips = [...groups.keys()];
  const states = await loadAttackersByIp(tx, ips);
  const created: AttackerState[] = [];
  for (const ip of ips) {
    if (states.has(ip)) continue;
    // time-ordered ids: the attackers a batch creates sit together in the indexes on `id`
    // (their targets' key among them), so later batches touch fewer pages
    const s = newAttackerState(uuidv7(tx.clock.now()), ip, now);
    states.set(ip, s);
    created.push(s);
  }
  const batchRows = new Map([...groups.values()].map((g) => [g.ip, g.counted]));
  const deltas = new Map([...groups.values()].map((g) => [g.ip, targetDeltas(g.counted)]));
  // before the rows are folded into the states and their targets upserted: it reads both as stored
  const appended = appendedLayouts(tx, [...states.values()], deltas, settings.traversalMinDeckies);

  const targets: Array<{ attackerId: string; t: TargetDelta }> = [];
  const observed: ObservedPayload[] = [];
  let counted = 0;
  for (const g of groups.values()) {
    const s = states.get(g.ip) as AttackerState;
    if (g.counted.length === 0) continue;
    counted += g.counted.length;
    s.eventCount += g.counted.length;
    for (const row of g.counted) {
      if (s.firstSeen === null || row.timestamp < s.firstSeen) s.firstSeen = row.timestamp;
      if (s.lastSeen === null || row.timestamp > s.lastSeen) s.lastSeen = row.timestamp;
      if (isCommandEvent(row.eventType)) s.commandCount++;
    }
    s.scoredDirty = true;
    if (s.eventCountBefore === 0 && !replay) observed.push(observedPayload(s, g.counted[0] as LogFacts));
    for (const t of deltas.get(g.ip) ?? []) targets.push({ attackerId: s.id, t });
  }

  const insertLast = deferForeignKeys(tx);
  if (!insertLast) await insertAttackers(tx, created, now);
  await upsertTargets(tx, targets);
  const sessions = await foldSessions(tx, rows, states, settings, replay);
  const touched = [...states.values()];
  await refreshDerived(tx, touched, replay ? { ...settings, behaviorIntervalSecs: 0 } : settings, now, batchRows, appended);
  let scored: ScoredPayload[] = [];
  if (replay) settleReplayed(touched);
  else scored = decideScored(touched, settings, tx.clock.now(), now);
  if (insertLast) await insertAttackers(tx, created, now);
  await saveAttackers(tx, insertLast ? touched.filter((s) => !s.isNew) : touched, now);
  return { observed, scored, created: created.length, touched: touched.length, counted, sessions };
}
