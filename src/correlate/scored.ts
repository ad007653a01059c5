/**
 * `attacker.scored` (analysis.md §1.4): "scored" means the profile summary changed.
 * A touched attacker is marked dirty; a dirty attacker whose summary differs from the
 * stored `scored_summary` publishes and stores it — at once when traversal, the count
 * of deckies, services or credentials, or the behaviour class changed (or it never
 * published), otherwise at most once per `DECNET_SCORED_MIN_INTERVAL_SECS`, the latest
 * state winning. The flags live in the row, so coalescing survives restarts, and the
 * stored summary stands for what was published, so nothing re-fires.
 *
 * `scored_summary` keeps the summary in short (StoredSummary): whole, it repeats the
 * row's own columns, its traversal path among them, and doubled a traversing
 * attacker's row, which every batch reads and rewrites.
 */
import { hash } from 'node:crypto';
import type { AnalysisConfig } from '../config/index.js';
import type { WriteTx } from '../db/index.js';
import { loadAttackersById, saveAttackers, type AttackerState } from './attacker-state.js';
import { IN_LIST, jsonText } from './sql.js';

/** `attacker.scored` (`scored_summary` stands for the one last published: StoredSummary). */
export type ScoredPayload = {
  attacker_uuid: string;
  attacker_ip: string;
  event_count: number;
  service_count: number;
  decky_count: number;
  bounty_count: number;
  credential_count: number;
  is_traversal: boolean;
  behavior_class: 'unknown' | 'slow_scan' | 'scanning' | 'brute_force' | 'beaconing' | 'interactive' | 'mixed';
  traversal_path: string | null;
  first_seen: string;
  last_seen: string;
};

export function scoredSummary(s: AttackerState): ScoredPayload | undefined {
  if (s.firstSeen === null || s.lastSeen === null) return undefined;
  return {
    attacker_uuid: s.id,
    attacker_ip: s.ip,
    event_count: s.eventCount,
    service_count: s.serviceCount,
    decky_count: s.deckyCount,
    bounty_count: s.bountyCount,
    credential_count: s.credentialCount,
    is_traversal: s.isTraversal,
    behavior_class: s.behaviorClass as ScoredPayload['behavior_class'],
    traversal_path: s.traversalPath,
    first_seen: s.firstSeen,
    last_seen: s.lastSeen,
  };
}

const SIGNIFICANT = ['is_traversal', 'decky_count', 'service_count', 'credential_count', 'behavior_class'] as const;

/** The summary's fields `scored_summary` keeps as they are: those that publish at once, and the count, which moves with every counted row. */
const KEPT = [...SIGNIFICANT, 'event_count'] as const;
/** The fields it keeps as one digest. The row's own id and address never change: it keeps neither. */
const DIGESTED = ['bounty_count', 'traversal_path', 'first_seen', 'last_seen'] as const satisfies ReadonlyArray<keyof ScoredPayload>;
// and no field of the payload is left out (a compile-time check)
const _everyField: Record<Exclude<keyof ScoredPayload, (typeof KEPT)[number] | (typeof DIGESTED)[number] | 'attacker_uuid' | 'attacker_ip'>, never> = {};

/** What `scored_summary` holds of a published summary (the SHA-256 in base64). */
type StoredSummary = Pick<ScoredPayload, (typeof KEPT)[number]> & { readonly sha256: string };

function digest(summary: ScoredPayload): string {
  return hash('sha256', jsonText(DIGESTED.map((k) => summary[k])), 'base64');
}

function stored(summary: ScoredPayload): StoredSummary {
  const out: Record<string, unknown> = {};
  for (const k of KEPT) out[k] = summary[k];
  out.sha256 = digest(summary);
  return out as StoredSummary;
}

/** The stored summary as an object (null before the first publish). */
function storedFields(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : null;
}

function significant(prev: unknown, next: ScoredPayload): boolean {
  const p = storedFields(prev);
  return p === null || SIGNIFICANT.some((k) => p[k] !== next[k]);
}

/** Whether the summary is the one last published: nothing to say. The digest is taken only when the kept fields are equal. */
function unchanged(s: AttackerState, next: ScoredPayload): boolean {
  const p = storedFields(s.scoredSummary);
  return p !== null && KEPT.every((k) => p[k] === next[k]) && p.sha256 === digest(next);
}

/**
 * Decides for each dirty state, updating its flags in place; returns the payloads to
 * publish after the commit, in the order given. `nowMs` is the clock's epoch ms.
 */
export function decideScored(states: readonly AttackerState[], settings: AnalysisConfig, nowMs: number, nowIso = new Date(nowMs).toISOString()): ScoredPayload[] {
  const out: ScoredPayload[] = [];
  for (const s of states) {
    if (!s.scoredDirty) continue;
    const next = scoredSummary(s);
    if (next === undefined || unchanged(s, next)) {
      s.scoredDirty = false;
      continue;
    }
    const due = s.scoredPublishedAt === null || nowMs - Date.parse(s.scoredPublishedAt) >= settings.scoredMinIntervalSecs * 1000;
    if (!significant(s.scoredSummary, next) && !due) continue; // stays dirty: a later pass publishes the latest state
    s.scoredSummary = stored(next);
    s.scoredPublishedAt = nowIso;
    s.scoredDirty = false;
    out.push(next);
  }
  return out;
}

/**
 * A rebuild publishes nothing: a dirty state stays dirty only when its summary differs
 * from the one last published, so the worker's sweep tells subscribers about a real
 * change (with the usual coalescing) and nothing else.
 */
export function settleReplayed(states: readonly AttackerState[]): void {
  for (const s of states) {
    const next = scoredSummary(s);
    if (s.scoredDirty && (next === undefined || unchanged(s, next))) s.scoredDirty = false;
  }
}

/**
 * Publishes what coalescing held back, once its interval has passed: dirty attackers
 * after `afterId`, at most `limit`. Returns the payloads and the last id examined
 * (undefined when none was left), so a pass can page through them.
 */
export async function sweepDirty(tx: WriteTx, settings: AnalysisConfig, afterId: string, limit = IN_LIST): Promise<{ scored: ScoredPayload[]; lastId: string | undefined }> {
  const yes = tx.dialect === 'sqlite' ? 1 : true;
  const ids = (await tx.db.selectFrom('attackers').select('id').where('scored_dirty', '=', yes).where('id', '>', afterId).orderBy('id').limit(limit).execute()).map((r) => r.id);
  if (ids.length === 0) return { scored: [], lastId: undefined };
  const states = await loadAttackersById(tx, ids);
  const before = new Map(states.map((s) => [s.id, s.scoredDirty]));
  const now = tx.clock.isoNow();
  const scored = decideScored(states, settings, tx.clock.now(), now);
  const changed = states.filter((s) => s.scoredDirty !== before.get(s.id));
  await saveAttackers(tx, changed, now);
  return { scored, lastId: ids.at(-1) };
}
