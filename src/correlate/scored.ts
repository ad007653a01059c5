/**
 * `attacker.scored` (analysis.md §1.4): "scored" means the profile summary changed.
 * A touched attacker is marked dirty; a dirty attacker whose summary differs from the
 * stored `scored_summary` publishes and stores it — at once when traversal, the count
 * of deckies, services or credentials, or the behaviour class changed (or it never
 * published), otherwise at most once per `DECNET_SCORED_MIN_INTERVAL_SECS`, the latest
 * state winning. The flags live in the row, so coalescing survives restarts, and the
 * stored summary is what was published, so nothing re-fires.
 */
import type { AnalysisConfig } from '../config/index.js';
import type { WriteTx } from '../db/index.js';
import { loadAttackersById, saveAttackers, type AttackerState } from './attacker-state.js';
import { IN_LIST } from './sql.js';

/** `attacker.scored` (the stored summary is what was last published). */
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

function significant(prev: unknown, next: ScoredPayload): boolean {
  if (prev === null || typeof prev !== 'object') return true;
  const p = prev as Record<string, unknown>;
  return SIGNIFICANT.some((k) => p[k] !== next[k]);
}

/**
 * Whether the summary is the one last published: nothing to say. Field by field, since
 * jsonb gives the stored object back with its keys reordered.
 */
function unchanged(s: AttackerState, next: ScoredPayload): boolean {
  const prev = s.scoredSummary;
  if (prev === null || typeof prev !== 'object') return false;
  const p = prev as Record<string, unknown>;
  const keys = Object.keys(next) as Array<keyof ScoredPayload>;
  return Object.keys(p).length === keys.length && keys.every((k) => p[k] === next[k]);
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
    s.scoredSummary = next;
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
