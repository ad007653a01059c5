/**
 * An attacker's traversal (analysis.md §1.5, `GET /attackers/{id}/traversal`): its hops,
 * one per target (decky, service) by first contact, merged with the **mutation markers**
 * of the deckies it touched — `decky_mutated` rows (eventplane.md §6) between its first
 * and last sighting inclusive, so the analyst sees which service set each hop met.
 * Internal deckies never count in targets, so they never traverse.
 */
import type { Attacker, Db, LogFacts } from '../db/index.js';
import { firstContactOrder, TRAVERSAL_SEPARATOR } from './deckies.js';
import { epochMicros } from './time.js';
import { MUTATION_EVENT_TYPE } from './vocabulary.js';

export interface TraversalHop {
  readonly kind: 'hop';
  /** The hop's first contact. */
  readonly timestamp: string;
  readonly decky: string;
  readonly service: string;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly event_count: number;
}

export interface TraversalMutation {
  readonly kind: 'mutation';
  readonly timestamp: string;
  readonly decky: string;
  readonly old_services: string[];
  readonly new_services: string[];
  readonly trigger: string | null;
}

export interface Traversal {
  readonly attacker_id: string;
  /** First-contact order. */
  readonly deckies: string[];
  /** The deckies joined by ` → ` (`''` before any counted row). */
  readonly path: string;
  readonly first_seen: string | null;
  readonly last_seen: string | null;
  /** Seconds from first to last sighting (microseconds kept), null before any counted row. */
  readonly duration_s: number | null;
  /** Hop entries in the timeline. */
  readonly hops: number;
  /** Mutation markers in the timeline. */
  readonly mutations_during: number;
  /** By time; at one instant hops come first, then markers in log order. */
  readonly timeline: Array<TraversalHop | TraversalMutation>;
}

/** A comma-joined list as the mutator writes it (`""` for none). */
function serviceList(value: string | undefined): string[] {
  return value === undefined || value === '' ? [] : value.split(',');
}

function marker(row: LogFacts): TraversalMutation {
  return { kind: 'mutation', timestamp: row.timestamp, decky: row.decky ?? '', old_services: serviceList(row.fields.old_services), new_services: serviceList(row.fields.new_services), trigger: row.fields.trigger ?? null };
}

export async function attackerTraversal(db: Db, attacker: Attacker): Promise<Traversal> {
  const targets = await db.repos.attackers.targets(attacker.id);
  const deckies = firstContactOrder(targets.map((t) => ({ decky: t.decky, service: t.service, firstSeen: t.first_seen })));
  const hops: TraversalHop[] = targets.map((t) => ({ kind: 'hop', timestamp: t.first_seen, decky: t.decky, service: t.service, first_seen: t.first_seen, last_seen: t.last_seen, event_count: t.event_count }));
  const { first_seen: first, last_seen: last } = attacker;
  const markers = first === null || last === null ? [] : (await db.repos.attackers.deckyEvents(deckies, MUTATION_EVENT_TYPE, first, last)).map(marker);
  // targets come by first seen, decky, service and markers by time and id: a stable sort by time keeps both orders
  const timeline = [...hops, ...markers].sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
  return {
    attacker_id: attacker.id,
    deckies,
    path: deckies.join(TRAVERSAL_SEPARATOR),
    first_seen: first,
    last_seen: last,
    duration_s: first === null || last === null ? null : (epochMicros(last) - epochMicros(first)) / 1e6,
    hops: hops.length,
    mutations_during: markers.length,
    timeline,
  };
}
